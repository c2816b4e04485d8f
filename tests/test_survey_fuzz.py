"""Bad input on the worker's side of a survey, fuzzed: any text at the typed questions,
forged and replayed answer buttons. Property: a clean reply, no Telegram error, nothing
stored that breaks the survey's rules."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.services import survey_answers, surveys
from bot.services.anonymity import scrub
from bot.services.errors import Problem
from bot.testing import ChatUser, Harness
from storage.models import SurveyPick, SurveyResponse
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.test_fuzz import SPECIALS
from tests.test_surveys import WORKER_BASE, _published

texts = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from([*SPECIALS, "%", "．", "５", "1", "0", "."]), max_size=30).map(
        "".join
    ),
    st.text(alphabet=st.sampled_from(["9", "字", "<", "&"]), min_size=600, max_size=5000),
)


class Env:
    def __init__(self, runner: asyncio.Runner, harness: Harness, worker: ChatUser) -> None:
        self.runner, self.harness, self.worker = runner, harness, worker
        self.page: dict[str, Any] = {}

    async def draft(self) -> survey_answers.Draft | None:
        async with UnitOfWork(self.harness.app.db.sessions) as uow:
            return await survey_answers.draft_of(uow, self.harness.app.survey_keys, self.worker.id)

    async def set_draft(self, page: dict[str, Any] | None) -> None:
        """Put the worker on a page (a sealed draft), or on none."""
        keys, now = self.harness.app.survey_keys, self.harness.clock.now()
        async with UnitOfWork(self.harness.app.db.sessions) as uow:
            if page is None:
                await survey_answers.drop_draft(uow, keys, self.worker.id)
            else:
                draft = survey_answers.Draft.load(page)
                assert draft is not None
                zone = self.harness.app.settings.zone
                await survey_answers.keep_draft(uow, keys, self.worker.id, draft, now, zone)
            await uow.commit()

    async def rows(self, model: Any) -> list[Any]:
        async with UnitOfWork(self.harness.app.db.sessions) as uow:
            return list((await uow.session.execute(select(model))).scalars().all())


@pytest.fixture(scope="module")
def env(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    target = tmp_path_factory.mktemp("survey-fuzz") / "fuzz.db"
    shutil.copy(sqlite_template, target)
    runner = asyncio.Runner()
    harness = runner.run(
        Harness.start(make_settings(f"sqlite+aiosqlite:///{target}"), migrate=False)
    )

    async def setup() -> Env:
        _, token = await _published(harness)
        worker = harness.user(WORKER_BASE + 9000, "测试职工")
        await worker.send(f"/start {token}")
        await worker.click("开始作答")
        await worker.click("▫️ 劳动报酬")
        await worker.click("▫️ 工作时间")
        await worker.click("选好了")
        await worker.click("劳动报酬")
        await worker.click("工作时间")
        found = Env(runner, harness, worker)
        draft = await found.draft()
        assert draft is not None
        found.page = draft.dump()
        return found

    found = runner.run(setup())
    yield found
    runner.run(harness.close())
    runner.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=st.sampled_from(["rise", "comment"]), text=texts)
def test_any_text_at_a_typed_question(env: Env, question: str, text: str):
    async def run() -> None:
        page = dict(env.page)
        answered = dict(page["a"])
        if question == "comment":
            answered["done"] = [*answered["done"], "rise", "stratum"]
        page["a"] = answered
        await env.set_draft(page)
        reply = await env.worker.send(text) if text.strip() else await env.worker.send_sticker()
        assert reply.messages, f"no reply to {text[:40]!r}"
        assert not reply.errors, reply.errors
        draft = await env.draft()
        assert draft is not None
        rise = draft.answer.rise
        assert rise is None or 0 <= rise <= 300
        comment = draft.answer.comment
        assert len(comment) <= surveys.COMMENT_MAX
        assert not re.search(r"1[3-9]\d{9}", comment)

    env.runner.run(run())


@settings(max_examples=120, deadline=None)
@given(
    data=st.one_of(
        st.builds(
            "sa:{}:{}:{}".format,
            st.sampled_from([0, 1, 2, -1, 99999]),
            st.sampled_from(
                ["t", "td", "r", "ru", "rise", "st", "cm", "ce", "ok", "re", "x", "zz"]
            ),
            st.one_of(
                st.sampled_from(["0", "1", "3", "-", "300", "999", "senior", ""]),
                st.text(max_size=8),
            ),
        ),
        st.text(min_size=1, max_size=64),
        st.sampled_from(["sg:sv_nothere", "sg:sv_nothere:1", "sv:1:results", "sv:1:close", "sl:1"]),
    ),
    in_page=st.booleans(),
)
def test_forged_answer_buttons(env: Env, data: str, in_page: bool):
    async def run() -> None:
        await env.set_draft(dict(env.page) if in_page else None)
        reply = await env.worker.press(data[:64])
        assert reply.answered_callback()
        assert not reply.errors, reply.errors
        for response in await env.rows(SurveyResponse):
            assert response.rise is None or 0 <= response.rise <= 300
        for pick in await env.rows(SurveyPick):
            assert 0 <= pick.rank <= surveys.RANKED
            assert 0 <= pick.item < 4

    env.runner.run(run())


@given(text=st.text(max_size=40))
def test_parse_rise_is_total(text: str):
    outcome: int | str
    try:
        outcome = surveys.parse_rise(text, 30)
    except Problem as problem:
        outcome = problem.key
    assert outcome == "surveys.bad_rise" or (isinstance(outcome, int) and 0 <= outcome <= 300)


@given(
    before=st.text(max_size=20),
    secret=st.sampled_from(
        [
            "13912345678",
            "+86 139 1234 5678",
            "027-87654321",
            "a.b@example.com",
            "420102199001011234",
        ]
    ),
    after=st.text(max_size=20),
)
def test_scrub_hides_contacts(before: str, secret: str, after: str):
    cleaned = scrub(f"{before} {secret} {after}")
    assert secret not in cleaned
