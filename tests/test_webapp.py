"""The survey as a Mini App (issue 22): the page's API checks Telegram's signed initData
(forged, expired and other bots' refused), takes a whole answer through the chat survey's
rules, once per worker, with the same anonymity; the chat invitation offers the page."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import webapp
from bot.emulator.server import sign_init_data
from bot.settings import Settings
from bot.testing import Harness
from bot.testing.client import TEST_TOKEN
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.flows import instructor, open_case, register_enterprise
from tests.test_anonymity import _links, _take_copy
from tests.test_surveys import _design, _published

WORKERS = [8_323_456_700 + n for n in range(6)]
PAGE_URL = "https://survey.example.org"


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url, public_url=PAGE_URL, survey_min_answers=3)


def _user(telegram_id: int, language: str = "zh") -> dict[str, Any]:
    return {"id": telegram_id, "first_name": "工人", "language_code": language}


def _signed(h: Harness, telegram_id: int, ago: int = 0) -> str:
    """initData signed `ago` seconds before the bot's clock (negative: in its future)."""
    moment = int(h.clock.now().timestamp()) - ago
    return sign_init_data(TEST_TOKEN, _user(telegram_id), auth_date=moment)


ANSWER = {"topics": [0, 1], "rank": [1, 0], "rise": 65, "stratum": "frontline", "comment": ""}


async def _client(h: Harness) -> TestClient[Any, Any]:
    client = TestClient(TestServer(webapp.application(h.app)))
    await client.start_server()
    return client


async def test_a_worker_answers_on_one_page(harness: Harness, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    _, token = await _published(harness)
    # The chat's invitation offers the page (and the chat survey beside it).
    worker = harness.user(WORKERS[0], "工人")
    reply = await worker.send(f"/start {token}")
    [page] = [
        b
        for row in reply.messages[-1]["reply_markup"]["inline_keyboard"]
        for b in row
        if "web_app" in b
    ]
    assert page["web_app"]["url"] == f"{PAGE_URL}/app/survey?t={token}"

    client = await _client(harness)
    try:
        html = await client.get("/app/survey")
        assert html.status == 200
        assert "frame-ancestors" in html.headers["Content-Security-Policy"]
        opened = await client.post(
            "/app/api/survey/open", json={"init_data": _signed(harness, WORKERS[0]), "token": token}
        )
        assert opened.status == 200
        survey = (await opened.json())["survey"]
        assert [t["title"] for t in survey["topics"]][:2] == ["劳动报酬", "工作时间"]
        assert "高温津贴 & <夏季>" in [
            t["title"] for t in survey["topics"]
        ]  # as text, for the page
        # Missing questions, unknown topics, a rise out of range: refused, with the reason.
        for wrong in (
            {"topics": [0]},
            {**ANSWER, "topics": [0, 99]},
            {**ANSWER, "rise": 9999},
            {**ANSWER, "stratum": "boss"},
            {**ANSWER, "rank": "01"},
        ):
            refused = await client.post(
                "/app/api/survey/submit",
                json={"init_data": _signed(harness, WORKERS[0]), "token": token, "answer": wrong},
            )
            assert refused.status == 400, wrong
            assert (await refused.json())["error"]
        for telegram_id in WORKERS:
            sent = await client.post(
                "/app/api/survey/submit",
                json={"init_data": _signed(harness, telegram_id), "token": token, "answer": ANSWER},
            )
            assert sent.status == 200, await sent.text()
            assert "谢谢" in (await sent.json())["text"]
        # One answer per worker: a second is refused, and the page says so on opening.
        again = await client.post(
            "/app/api/survey/submit",
            json={"init_data": _signed(harness, WORKERS[0]), "token": token, "answer": ANSWER},
        )
        assert again.status == 409
        reopened = await client.post(
            "/app/api/survey/open", json={"init_data": _signed(harness, WORKERS[0]), "token": token}
        )
        assert (await reopened.json())["answered"] is True
    finally:
        await client.close()

    async with UnitOfWork(harness.app.db.sessions) as uow:
        [survey_row] = await uow.surveys.of_case(1)
        counts = await uow.surveys.counts([survey_row.id or 0])
    assert counts[survey_row.id or 0] == len(WORKERS)
    # The same guarantee as the chat survey: nothing in a copy of the database, nor in the
    # logs, links an answer to a worker.
    copy = await _take_copy(harness)
    for telegram_id in WORKERS:
        assert _links(copy, survey_row.id or 0, telegram_id) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [i for i in WORKERS if str(i) in logged]


async def test_forged_expired_and_foreign_init_data_are_refused(harness: Harness):
    _, token = await _published(harness)
    client = await _client(harness)
    good = _signed(harness, WORKERS[1])
    forged = good.replace(str(WORKERS[1]), str(WORKERS[2]))  # another person, same hash
    expired = _signed(harness, WORKERS[1], ago=2 * 86_400)
    future = _signed(harness, WORKERS[1], ago=-3_600)
    other_bot = sign_init_data(
        "123:another-bot", _user(WORKERS[1]), auth_date=int(harness.clock.now().timestamp())
    )
    try:
        for init_data in ("", "user=1", forged, expired, future, other_bot):
            for path in ("/app/api/survey/open", "/app/api/survey/submit"):
                found = await client.post(
                    path, json={"init_data": init_data, "token": token, "answer": ANSWER}
                )
                assert found.status == 401, (init_data[:40], path)
        assert (await client.post("/app/api/survey/open", data=b"[not json")).status == 400
        unknown = await client.post(
            "/app/api/survey/open", json={"init_data": good, "token": "sv_nosuchsurvey00"}
        )
        assert unknown.status == 404
        huge = await client.post(
            "/app/api/survey/submit", data=b"{" + b" " * 40_000 + b"}",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert huge.status == 413
    finally:
        await client.close()


async def test_a_registered_mini_app_is_what_the_link_opens(any_db_url: str):
    """With the Mini App's short name set, the survey's link and QR open the page itself
    (startapp); the page finds the survey by the start parameter Telegram signs in."""
    settings = make_settings(any_db_url, public_url=PAGE_URL, webapp_name="survey")
    h = await Harness.start(settings)
    try:
        chat = await instructor(h)
        await register_enterprise(chat)
        await open_case(chat)
        await _design(chat)
        reply = await chat.click("发布")
        found = re.search(r"https://t\.me/(\w+)/survey\?startapp=(sv_[A-Za-z0-9_-]+)", reply.text)
        assert found, reply.text
        token = found.group(2)
        client = await _client(h)
        try:
            moment = int(h.clock.now().timestamp())
            signed = sign_init_data(TEST_TOKEN, _user(WORKERS[3]), token, auth_date=moment)
            opened = await client.post("/app/api/survey/open", json={"init_data": signed})
            assert opened.status == 200
            assert (await opened.json())["survey"]["token"] == token
        finally:
            await client.close()
    finally:
        await h.close()


async def test_the_dashboard_shows_each_member_their_own_cases(harness: Harness):
    """📊 看板: the cases a member sees, filtered, ordered and paged in SQL; a liaison cannot
    read another union's cases by editing the request, an instructor sees only their own,
    someone who is not a member nothing."""
    from bot.services.province import FIRST_INSTRUCTOR, PROVINCE_LIAISON, Scale, seed_province
    from storage.models import BargainingCase, Org, OrgLevel, Stage
    from tests.flows import table_rows

    scale = Scale(cities=3, counties=5, instructors_per_county=2, cases_per_instructor=12,
                  surveys=1, answers_per_survey=3, tasks=1, trainings=1)  # fmt: skip
    await seed_province(harness.app.db.sessions, harness.clock.now(), harness.app.settings, scale)
    all_cases = await table_rows(harness, BargainingCase)
    orgs = await table_rows(harness, Org)
    by_id = {o.id: o for o in orgs}

    liaison = harness.user(PROVINCE_LIAISON, "省总")
    await liaison.send("/menu")
    assert any(
        "web_app" in b for row in liaison.last()["reply_markup"]["inline_keyboard"] for b in row
    )

    client = await _client(harness)

    async def board(telegram_id: int, **body: Any) -> Any:
        found = await client.post(
            "/app/api/board/cases", json={"init_data": _signed(harness, telegram_id), **body}
        )
        return found.status, (await found.json() if found.status == 200 else None)

    try:
        status, first = await board(PROVINCE_LIAISON)
        assert status == 200
        assert first["total"] == len(all_cases)
        assert len(first["rows"]) == 20
        assert first["pages"] == -(-len(all_cases) // 20)
        status, second = await board(PROVINCE_LIAISON, page=2)
        assert {r["id"] for r in second["rows"]}.isdisjoint({r["id"] for r in first["rows"]})
        # Filters, in SQL: a stage, a county union (and what is below it), a year.
        status, drafts = await board(PROVINCE_LIAISON, stage="draft")
        assert drafts["total"] == sum(c.stage is Stage.draft for c in all_cases)
        assert {r["stage"] for r in drafts["rows"]} == {"草案提交职代会"}
        county = next(o for o in orgs if o.level is OrgLevel.county and o.name != "洪山区总工会")
        status, one = await board(PROVINCE_LIAISON, org_id=county.id)
        assert one["total"] == sum(c.org_id == county.id for c in all_cases) > 0
        status, ordered = await board(PROVINCE_LIAISON, order="stage")
        stages = [r["stage"] for r in ordered["rows"]]
        assert stages[0] == "准备中"
        # The demo's city liaison may not read another city's county union.
        foreign = next(
            o
            for o in orgs
            if o.level is OrgLevel.county and by_id[o.parent_id].name != "武汉市总工会"
        )
        assert (await board(1001, org_id=foreign.id))[0] == 403
        status, wuhan = await board(1001)
        assert wuhan["total"] == sum(
            by_id[c.org_id].path.startswith(next(o.path for o in orgs if o.name == "武汉市总工会"))
            for c in all_cases
        )
        # An instructor: their own cases only, no union filter; a stranger: nothing.
        status, own = await board(FIRST_INSTRUCTOR)
        assert own["total"] == 12
        assert (await board(FIRST_INSTRUCTOR, org_id=county.id))[0] == 403
        assert (await board(WORKERS[0]))[0] == 403
        assert (await board(PROVINCE_LIAISON, stage="nonsense"))[0] == 400
        assert (await board(PROVINCE_LIAISON, page={"x": 1}))[0] == 400

        # The roster tab: the subtree's instructors, searched and paged in SQL; liaisons only.
        async def people(telegram_id: int, **body: Any) -> Any:
            found = await client.post(
                "/app/api/board/roster", json={"init_data": _signed(harness, telegram_id), **body}
            )
            return found.status, (await found.json() if found.status == 200 else None)

        status, listed = await people(PROVINCE_LIAISON)
        assert status == 200
        assert listed["total"] == 5 * 2 + 2  # the data set's and the demo's two
        assert len(listed["rows"]) == 10
        assert listed["pages"] == 2
        status, found_li = await people(PROVINCE_LIAISON, q="李明")
        assert [r["name"] for r in found_li["rows"]] == ["李明"]
        status, wuhan_people = await people(1001)
        assert wuhan_people["total"] < listed["total"]
        assert (await people(FIRST_INSTRUCTOR))[0] == 403
        assert (await people(WORKERS[0]))[0] == 403
    finally:
        await client.close()


async def test_the_dashboard_exports_what_it_shows(harness: Harness):
    """📥 in the dashboard: every case its filters select, as a workbook sent to the member's
    chat; another union's filter refused as for the table."""
    import io

    from openpyxl import load_workbook

    from bot.services.province import PROVINCE_LIAISON, Scale, seed_province
    from storage.models import BargainingCase, Stage
    from tests.flows import table_rows

    scale = Scale(cities=2, counties=3, instructors_per_county=2, cases_per_instructor=18,
                  surveys=1, answers_per_survey=3, tasks=1, trainings=1)  # fmt: skip
    await seed_province(harness.app.db.sessions, harness.clock.now(), harness.app.settings, scale)
    liaison = harness.user(PROVINCE_LIAISON, "省总")
    await liaison.send("/menu")
    client = await _client(harness)
    try:
        sent = await client.post(
            "/app/api/board/export",
            json={"init_data": _signed(harness, PROVINCE_LIAISON), "stage": "negotiating"},
        )
        assert sent.status == 200
        wanted = sum(
            c.stage is Stage.negotiating for c in await table_rows(harness, BargainingCase)
        )
        assert f"已把 {wanted} 件案件" in (await sent.json())["text"]
        book = load_workbook(io.BytesIO(liaison.last_file().content))
        rows = list(book.active.iter_rows(values_only=True))
        assert rows[0][:2] == ("企业", "工会")
        assert len(rows) - 1 == wanted
        assert {row[5] for row in rows[1:]} == {"协商中"}
        refused = await client.post(
            "/app/api/board/export", json={"init_data": _signed(harness, WORKERS[0])}
        )
        assert refused.status == 403
    finally:
        await client.close()


async def test_the_dashboard_ranks_the_assessment(harness: Harness):
    """The assessment tab (liaisons): the year's ranking a page at a time, ordered by a
    column; 📥 sends the chat's workbook; instructors and strangers get 403."""
    import io

    from openpyxl import load_workbook

    from bot.services.province import FIRST_INSTRUCTOR, PROVINCE_LIAISON, Scale, seed_province

    scale = Scale(cities=2, counties=5, instructors_per_county=5, cases_per_instructor=2,
                  surveys=1, answers_per_survey=3, tasks=1, trainings=1)  # fmt: skip
    await seed_province(harness.app.db.sessions, harness.clock.now(), harness.app.settings, scale)
    liaison = harness.user(PROVINCE_LIAISON, "省总")
    await liaison.send("/menu")
    client = await _client(harness)

    async def ranking(telegram_id: int, path: str = "", **body: Any) -> Any:
        found = await client.post(
            f"/app/api/board/assessment{path}",
            json={"init_data": _signed(harness, telegram_id), **body},
        )
        return found.status, (await found.json() if found.status == 200 else None)

    try:
        status, first = await ranking(PROVINCE_LIAISON)
        assert status == 200
        assert first["total"] == 27
        assert [r["rank"] for r in first["rows"]] == sorted(r["rank"] for r in first["rows"])
        assert len(first["rows"]) == 20
        status, second = await ranking(PROVINCE_LIAISON, page=2)
        assert len(second["rows"]) == 7
        status, by_name = await ranking(PROVINCE_LIAISON, order="name")
        names = [r["name"] for r in by_name["rows"]]
        assert names == sorted(names)
        status, sent = await ranking(PROVINCE_LIAISON, "/export")
        assert "27 名指导员" in sent["text"]
        book = load_workbook(io.BytesIO(liaison.last_file().content))
        assert book.active.max_row >= 28
        assert (await ranking(FIRST_INSTRUCTOR))[0] == 403
        assert (await ranking(FIRST_INSTRUCTOR, "/export"))[0] == 403
        assert (await ranking(WORKERS[0]))[0] == 403
    finally:
        await client.close()


async def test_the_dashboard_shows_survey_results(harness: Harness):
    """The surveys tab: the surveys a member may read results of, and one's results as the
    chat shows them (released answers only) with its chart; another union's refused."""
    chat, token = await _published(harness)
    client = await _client(harness)
    try:
        for telegram_id in WORKERS[:3]:  # k = 3 here: one batch released
            sent = await client.post(
                "/app/api/survey/submit",
                json={"init_data": _signed(harness, telegram_id), "token": token, "answer": ANSWER},
            )
            assert sent.status == 200
        listed = await client.post(
            "/app/api/board/surveys", json={"init_data": _signed(harness, 1101)}
        )
        [row] = (await listed.json())["rows"]
        assert row["answers"] == 3
        shown = await client.post(
            "/app/api/board/survey",
            json={"init_data": _signed(harness, 1101), "survey_id": row["id"]},
        )
        found = await shown.json()
        assert "3" in found["html"]
        assert "劳动报酬" in found["html"]
        assert found["chart"].startswith("data:image/png;base64,")
        # Another county's instructor sees neither the survey nor its results.
        other = await instructor(harness, telegram_id=1199, org_name="武昌区总工会")
        await other.send("/menu")
        theirs = await client.post(
            "/app/api/board/surveys", json={"init_data": _signed(harness, 1199)}
        )
        assert (await theirs.json())["total"] == 0
        refused = await client.post(
            "/app/api/board/survey",
            json={"init_data": _signed(harness, 1199), "survey_id": row["id"]},
        )
        assert refused.status == 403
    finally:
        await client.close()
    assert chat.id == 1101
