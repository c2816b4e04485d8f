"""The survey as a Mini App (issue 22): the page's API checks Telegram's signed initData
(forged, expired and other bots' refused), takes a whole answer through the chat survey's
rules, once per worker, with the same anonymity; the chat invitation offers the page."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
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


async def _session(client: TestClient[Any, Any], h: Harness, telegram_id: int) -> str:
    """A dashboard session, as the page gets one for the initData Telegram gave it; "" for
    someone who is not a member (refused, 403)."""
    found = await client.post("/app/api/board/session", json={"init_data": _signed(h, telegram_id)})
    return str((await found.json())["session"]) if found.status == 200 else ""


async def _notice(h: Harness, author_telegram_id: int, text: str, **fields: Any) -> Any:
    """A notice the liaison sent to their union's subtree, recorded as the sender does."""
    from storage.models import Broadcast, BroadcastStatus

    async with UnitOfWork(h.app.db.sessions) as uow:
        author = await uow.users.by_telegram_id(author_telegram_id)
        assert author is not None
        notice = Broadcast(
            org_id=author.org_id, audience_role="instructor", created_by_id=author.id or 0,
            text=text, status=BroadcastStatus.done, created_at=h.clock.now(), **fields,
        )  # fmt: skip
        await uow.broadcasts.add(notice)
        await uow.commit()
    return notice


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
            "/app/api/board/cases",
            json={"session": await _session(client, harness, telegram_id), **body},
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
        # Someone who is no member gets no session (sign-in 403), so nothing here (401).
        signed_in = await client.post(
            "/app/api/board/session", json={"init_data": _signed(harness, WORKERS[0])}
        )
        assert signed_in.status == 403
        assert (await board(WORKERS[0]))[0] == 401
        assert (await board(PROVINCE_LIAISON, stage="nonsense"))[0] == 400
        assert (await board(PROVINCE_LIAISON, page={"x": 1}))[0] == 400

        # The roster tab: the subtree's instructors, searched and paged in SQL; liaisons only.
        async def people(telegram_id: int, **body: Any) -> Any:
            found = await client.post(
                "/app/api/board/roster",
                json={"session": await _session(client, harness, telegram_id), **body},
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
        assert (await people(WORKERS[0]))[0] == 401
    finally:
        await client.close()


async def test_the_dashboard_exports_what_it_shows(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
):
    """📥 in the dashboard: every case its filters select, as a workbook sent to the member's
    chat; another union's filter refused as for the table."""
    import io

    from openpyxl import load_workbook

    from bot.services import cases
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
            json={
                "session": await _session(client, harness, PROVINCE_LIAISON),
                "stage": "negotiating",
            },
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
        # Several batches: read a batch at a time, with how far it is said in the chat (one
        # message, edited), the whole table in the file.
        monkeypatch.setattr(cases, "EXPORT_PAGE", 50)
        everything = await client.post(
            "/app/api/board/export",
            json={"session": await _session(client, harness, PROVINCE_LIAISON)},
        )
        assert everything.status == 200
        total = len(await table_rows(harness, BargainingCase))
        assert total > 100
        book = load_workbook(io.BytesIO(liaison.last_file().content))
        assert book.active.max_row == total + 1
        said = [m.get("text", "") for m in liaison.bot_messages()]
        said = [t for t in said if "件案件" in t and "📥" in t]
        assert said == [f"📥 {total} 件案件已整理完，表格马上发到。"]
        refused = await client.post(
            "/app/api/board/export", json={"session": await _session(client, harness, WORKERS[0])}
        )
        assert refused.status == 401
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
            json={"session": await _session(client, harness, telegram_id), **body},
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
        assert (await ranking(WORKERS[0]))[0] == 401
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
            "/app/api/board/surveys", json={"session": await _session(client, harness, 1101)}
        )
        [row] = (await listed.json())["rows"]
        assert row["answers"] == 3
        shown = await client.post(
            "/app/api/board/survey",
            json={"session": await _session(client, harness, 1101), "survey_id": row["id"]},
        )
        found = await shown.json()
        assert "3" in found["html"]
        assert "劳动报酬" in found["html"]
        assert found["chart"].startswith("data:image/png;base64,")
        # Another county's instructor sees neither the survey nor its results.
        other = await instructor(harness, telegram_id=1199, org_name="武昌区总工会")
        await other.send("/menu")
        theirs = await client.post(
            "/app/api/board/surveys", json={"session": await _session(client, harness, 1199)}
        )
        assert (await theirs.json())["total"] == 0
        refused = await client.post(
            "/app/api/board/survey",
            json={"session": await _session(client, harness, 1199), "survey_id": row["id"]},
        )
        assert refused.status == 403
    finally:
        await client.close()
    assert chat.id == 1101


async def test_the_dashboard_shows_tasks_and_notices(harness: Harness):
    """The tasks tab: a liaison's subtree's tasks, newest first, with each one's recipients
    counted by answer and only the overdue ones if asked, paged in SQL; a task opens to its
    ledger and 📥 sends the chat's ledger workbook; an instructor sees their own with their
    answer. The notices tab (liaisons): the notices to the subtree with their deliveries,
    each opening to whom it did not reach. Another union's task or notice is refused."""
    import io

    from openpyxl import load_workbook

    from bot.services.province import FIRST_INSTRUCTOR, PROVINCE_LIAISON, Scale, seed_province
    from storage.models import (
        Assignment,
        AssignmentRecipient,
        BroadcastDelivery,
        DeliveryStatus,
        User,
    )
    from tests.flows import table_rows

    scale = Scale(cities=2, counties=2, instructors_per_county=3, cases_per_instructor=1,
                  surveys=1, answers_per_survey=3, tasks=25, trainings=1)  # fmt: skip
    await seed_province(harness.app.db.sessions, harness.clock.now(), harness.app.settings, scale)
    tasks = await table_rows(harness, Assignment)
    lines = await table_rows(harness, AssignmentRecipient)
    people = {u.id: u for u in await table_rows(harness, User)}
    today = harness.clock.now().astimezone(harness.app.settings.zone).date()
    unfinished = {line.assignment_id for line in lines if line.status in ("open", "accepted")}
    overdue = [t for t in tasks if t.due_on < today and t.id in unfinished]
    assert 0 < len(overdue) < len(tasks)

    # Notices: one from the province to everyone, reaching all but three.
    instructors = [u for u in people.values() if u.telegram_id >= FIRST_INSTRUCTOR]
    notice = await _notice(
        harness, PROVINCE_LIAISON, "请于本周五前报送季度台账", total=len(instructors)
    )
    async with UnitOfWork(harness.app.db.sessions) as uow:
        missed = {
            instructors[0].id: DeliveryStatus.blocked,
            instructors[1].id: DeliveryStatus.failed,
            instructors[2].id: DeliveryStatus.failed,
        }
        for person in instructors:
            uow.session.add(
                BroadcastDelivery(
                    broadcast_id=notice.id or 0,
                    user_id=person.id or 0,
                    status=missed.get(person.id, DeliveryStatus.sent),
                )
            )
        await uow.commit()

    liaison = harness.user(PROVINCE_LIAISON, "省总")
    await liaison.send("/menu")
    client = await _client(harness)

    async def ask(path: str, telegram_id: int = PROVINCE_LIAISON, **body: Any) -> Any:
        found = await client.post(
            f"/app/api/board/{path}",
            json={"session": await _session(client, harness, telegram_id), **body},
        )
        return found.status, (await found.json() if found.status == 200 else None)

    try:
        status, first = await ask("tasks")
        assert status == 200
        assert first["total"] == 25
        assert first["pages"] == 2
        assert len(first["rows"]) == 20
        ids = [r["id"] for r in first["rows"]]
        assert ids == sorted((t.id for t in tasks), reverse=True)[:20]
        newest = next(t for t in tasks if t.id == ids[0])
        counted = {c["label"]: c["n"] for c in first["rows"][0]["counts"]}
        assert counted["已完成"] == sum(
            1 for line in lines if line.assignment_id == newest.id and line.status == "done"
        )
        assert sum(counted.values()) == len(instructors)
        status, second = await ask("tasks", page=2)
        assert len(second["rows"]) == 5
        status, past_end = await ask("tasks", page=99)
        assert past_end["page"] == 2
        assert len(past_end["rows"]) == 5
        status, late = await ask("tasks", overdue=True)
        assert late["total"] == len(overdue)
        assert all(r["overdue"] for r in late["rows"])
        # A task's ledger and its workbook.
        status, ledger = await ask("task", assignment_id=newest.id)
        assert len(ledger["rows"]) == len(instructors)
        status, sent = await ask("task/export", assignment_id=newest.id)
        assert f"（{len(instructors)} 人）" in sent["text"]
        book = load_workbook(io.BytesIO(liaison.last_file().content))
        assert book.active.max_row == len(instructors) + 1
        # The demo's city liaison: the province's tasks are not theirs.
        status, city = await ask("tasks", 1001)
        assert status == 200
        assert city["total"] == 0
        assert (await ask("task", 1001, assignment_id=newest.id))[0] == 403
        assert (await ask("task/export", 1001, assignment_id=newest.id))[0] == 403
        assert (await ask("task", FIRST_INSTRUCTOR, assignment_id=newest.id))[0] == 403
        assert (await ask("task", assignment_id="x"))[0] == 400
        for odd in (10**30, -1, "²", 1.5, [1], True):  # never a database error
            assert (await ask("task", assignment_id=odd))[0] == 400, odd
            assert (await ask("tasks", page=odd))[0] == 400, odd
        # An instructor: their own tasks, each with their own answer.
        me = next(u for u in instructors if u.telegram_id == FIRST_INSTRUCTOR)
        status, own = await ask("tasks", FIRST_INSTRUCTOR)
        assert own["total"] == sum(1 for line in lines if line.user_id == me.id)
        answer = {"done": "已完成", "open": "未回复", "accepted": "已接受", "declined": "已拒绝"}
        mine = {line.assignment_id: answer[line.status] for line in lines if line.user_id == me.id}
        assert {r["id"]: r["mine"] for r in own["rows"]} == {
            r["id"]: mine[r["id"]] for r in own["rows"]
        }
        assert not any(r["counts"] for r in own["rows"])
        status, own_late = await ask("tasks", FIRST_INSTRUCTOR, overdue=True)
        assert own_late["total"] == sum(
            1 for t in tasks if t.due_on < today and mine.get(t.id) in ("未回复", "已接受")
        )
        assert (await ask("tasks", WORKERS[0]))[0] == 401

        # Notices: counted, and whom the notice missed, by name.
        status, listed = await ask("notices")
        assert listed["total"] == 1
        row = listed["rows"][0]
        assert row["missed"] == 3
        assert row["total"] == len(instructors)
        assert {c["label"]: c["n"] for c in row["counts"]}["已送达"] == len(instructors) - 3
        status, whom = await ask("notice", broadcast_id=notice.id)
        assert sorted(r["name"] for r in whom["rows"]) == sorted(
            people[i].display_name for i in missed
        )
        assert {r["status"] for r in whom["rows"]} == {"发送失败", "已屏蔽机器人"}
        # The province's notice and its ledger are the province's: a city liaison below
        # neither lists nor opens it.
        assert (await ask("notice", 1001, broadcast_id=notice.id))[0] == 403
        assert (await ask("notices", FIRST_INSTRUCTOR))[0] == 403
        assert (await ask("notice", FIRST_INSTRUCTOR, broadcast_id=notice.id))[0] == 403
        status, none_here = await ask("notices", 1001)
        assert none_here["total"] == 0
    finally:
        await client.close()


async def test_every_web_endpoint_checks_who_asks(harness: Harness):
    """The access matrix over HTTP: every endpoint the Mini App serves, asked by the province
    liaison, a city liaison below, an instructor, a worker who is no member, with forged and
    expired initData and with none. A new endpoint without a row here fails the test. No
    answer carries a Telegram id (the members' own included: the page never needs one)."""
    from bot.services.province import FIRST_INSTRUCTOR, PROVINCE_LIAISON, Scale, seed_province
    from storage.models import (
        Assignment,
        BargainingCase,
        Org,
        Survey,
        User,
    )
    from tests.flows import table_rows

    scale = Scale(cities=2, counties=2, instructors_per_county=2, cases_per_instructor=2,
                  surveys=1, answers_per_survey=3, tasks=1, trainings=1)  # fmt: skip
    await seed_province(harness.app.db.sessions, harness.clock.now(), harness.app.settings, scale)
    people = await table_rows(harness, User)
    notice = await _notice(harness, PROVINCE_LIAISON, "通知")
    [task] = await table_rows(harness, Assignment)
    orgs = {o.id: o for o in await table_rows(harness, Org)}
    cases_by_id = {c.id: c for c in await table_rows(harness, BargainingCase)}
    wuhan = next(o.path for o in orgs.values() if o.name == "武汉市总工会")
    first = next(u for u in people if u.telegram_id == FIRST_INSTRUCTOR)
    survey = next(s for s in await table_rows(harness, Survey) if s.case_id in cases_by_id)
    case = cases_by_id[survey.case_id]
    city_reads = orgs[case.org_id].path.startswith(wuhan)
    own = case.owner_id == first.id

    prov, city, inst, worker = PROVINCE_LIAISON, 1001, FIRST_INSTRUCTOR, WORKERS[0]
    # Someone who is no member gets no session (403 at sign-in), so no dashboard answer (401).
    ok = {prov: 200, city: 200, inst: 200, worker: 401}
    liaisons = {prov: 200, city: 200, inst: 403, worker: 401}
    province_only = {prov: 200, city: 403, inst: 403, worker: 401}
    matrix: dict[str, tuple[dict[str, Any], dict[int, int]]] = {
        "/app/api/board/session": ({}, {prov: 200, city: 200, inst: 200, worker: 403}),
        "/app/api/board/cases": ({}, ok),
        "/app/api/board/export": ({}, ok),
        "/app/api/board/roster": ({}, liaisons),
        "/app/api/board/assessment": ({}, liaisons),
        "/app/api/board/assessment/export": ({}, liaisons),
        "/app/api/board/surveys": ({}, ok),
        "/app/api/board/survey": (
            {"survey_id": survey.id},
            {prov: 200, city: 200 if city_reads else 403, inst: 200 if own else 403, worker: 401},
        ),
        "/app/api/board/tasks": ({}, ok),
        "/app/api/board/task": ({"assignment_id": task.id}, province_only),
        "/app/api/board/task/export": ({"assignment_id": task.id}, province_only),
        "/app/api/board/notices": ({}, liaisons),
        "/app/api/board/notice": ({"broadcast_id": notice.id}, province_only),
        # The worker's pages: anyone Telegram vouches for; a link that is no survey's is 404,
        # an answer to it 400.
        "/app/api/survey/open": (
            {"token": "nosuchlink"},
            {prov: 404, city: 404, inst: 404, worker: 404},
        ),
        "/app/api/survey/submit": (
            {"token": "nosuchlink", "answer": ANSWER},
            {prov: 400, city: 400, inst: 400, worker: 400},
        ),
    }
    signed_in = {"/app/api/board/session", "/app/api/survey/open", "/app/api/survey/submit"}
    served = {
        r.path
        for r in webapp.routes(harness.app)
        if isinstance(r, web.RouteDef) and r.method == "POST"
    }
    assert served == set(matrix), "every endpoint needs a row in the access matrix"
    ids = [str(u.telegram_id) for u in people if u.telegram_id >= 1_000]
    for member in (prov, city, inst):  # members who have a chat with the bot, for the exports
        await harness.user(member, "成员").send("/menu")
    key = hmac.new(webapp.SESSION_SALT, TEST_TOKEN.encode(), hashlib.sha256).digest()
    now = harness.clock.now()
    client = await _client(harness)
    try:
        sessions = {who: await _session(client, harness, who) for who in (prov, city, inst, worker)}
        genuine = sessions[prov]
        forged_sessions = (
            "",
            "garbage",
            "é.é",
            genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),  # its seal broken
            webapp.issue_session(
                b"another key", webapp.Caller(prov, "zh"), now + timedelta(hours=1)
            ),
            webapp.issue_session(key, webapp.Caller(prov, "zh"), now - timedelta(seconds=1)),
        )
        for path, (body, expected) in matrix.items():
            for who, status in expected.items():
                if path in signed_in:
                    credential = {"init_data": _signed(harness, who)}
                else:
                    credential = {"session": sessions[who]}
                found = await client.post(path, json={**credential, **body})
                text = await found.text()
                assert found.status == status, (path, who, found.status, text[:200])
                numbers = set(re.findall(r"\d{4,}", text))
                assert numbers.isdisjoint(ids), (path, who, numbers & set(ids))
            if path in signed_in:
                refusals = [
                    {"init_data": init_data}
                    for init_data in (
                        "",
                        _signed(harness, prov).replace("hash=", "hash=0"),
                        _signed(harness, prov, ago=harness.app.settings.webapp_max_age + 5),
                        sign_init_data("123:other", _user(prov)),
                    )
                ]
            else:  # the initData itself is no session; nor is a forged or expired one
                refusals = [{"init_data": _signed(harness, prov)}]
                refusals += [{"session": forged} for forged in forged_sessions]
            for refusal in refusals:
                refused = await client.post(path, json={**refusal, **body})
                assert refused.status == 401, (path, str(refusal)[:40])
        # Replayed: an initData signs in once; the same again is refused.
        once = _signed(harness, prov)
        first_time = await client.post("/app/api/board/session", json={"init_data": once})
        assert first_time.status == 200
        again = await client.post("/app/api/board/session", json={"init_data": once})
        assert again.status == 401
        assert "已经用过" in (await again.json())["error"]
        # A session ends after WEBAPP_SESSION_MINUTES.
        harness.clock.advance(minutes=harness.app.settings.webapp_session_minutes + 1)
        late = await client.post("/app/api/board/cases", json={"session": genuine})
        assert late.status == 401
        assert "重新打开" in (await late.json())["error"]
        # A member who opened the page from a link but never started the bot: the file
        # has no chat to go to, and the page says so.
        no_chat = await client.post(
            "/app/api/board/export",
            json={"session": await _session(client, harness, FIRST_INSTRUCTOR + 1)},
        )
        assert no_chat.status == 409
        assert "点“开始”" in (await no_chat.json())["text"]
    finally:
        await client.close()
