"""The province data set (issue 21): made on an empty database around the demo, valid by
the bot's own rules, usable through the chat by the province liaison (Telegram id 1000),
an instructor of it and the demo personas; a second seed does nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from bot.services import credit_code
from bot.services.province import FIRST_INSTRUCTOR, PROVINCE_LIAISON, Scale, seed_province
from bot.settings import Settings
from bot.testing import Harness
from storage.models import (
    BargainingCase,
    Enterprise,
    NegotiationRound,
    Org,
    OrgLevel,
    Stage,
    SurveyResponse,
    TopicEvent,
    User,
)
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.flows import table_rows


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)


SMALL = Scale(
    cities=3,
    counties=5,
    instructors_per_county=2,
    cases_per_instructor=18,
    surveys=3,
    answers_per_survey=12,
    tasks=2,
    trainings=2,
)


async def test_the_province_data_set_is_whole_and_usable(harness: Harness):
    counts = await seed_province(
        harness.app.db.sessions, harness.clock.now(), harness.app.settings, SMALL
    )
    assert counts is not None
    assert counts.cases == 5 * 2 * 18
    assert counts.instructors == 10
    assert counts.answers == 3 * 12
    # A second seed does nothing.
    assert (
        await seed_province(harness.app.db.sessions, harness.clock.now(), harness.app.settings)
        is None
    )
    orgs = await table_rows(harness, Org)
    levels = Counter(o.level for o in orgs)
    assert levels[OrgLevel.province] == 1
    assert levels[OrgLevel.city] == 3
    assert levels[OrgLevel.county] == 5
    [province] = [o for o in orgs if o.level is OrgLevel.province]
    assert all(o.path.startswith(province.path) for o in orgs)  # one tree, the demo in it
    # Every stage is represented; every credit code passes the checksum, none twice.
    cases = await table_rows(harness, BargainingCase)
    stages = {c.stage for c in cases}
    assert stages >= set(Stage) - {Stage.renewed} or stages == set(Stage)
    firms = await table_rows(harness, Enterprise)
    assert all(credit_code.is_valid(f.credit_code) for f in firms)
    assert len({f.credit_code for f in firms}) == len(firms)
    # Cases past the reply have their five meetings; topics their history.
    async with UnitOfWork(harness.app.db.sessions) as uow:
        rounds = (
            await uow.session.execute(select(func.count()).select_from(NegotiationRound))
        ).scalar_one()
        events = (
            await uow.session.execute(select(func.count()).select_from(TopicEvent))
        ).scalar_one()
        answers = (
            await uow.session.execute(select(func.count()).select_from(SurveyResponse))
        ).scalar_one()
    assert rounds == counts.rounds + 1 > 1  # and the demo case's meeting
    assert events >= counts.topics
    assert answers == 3 * 12 + 11  # and the demo survey's eleven

    # The province liaison sees the whole province; the list is paged.
    liaison = harness.user(PROVINCE_LIAISON, "省总")
    await liaison.send("/menu")
    reply = await liaison.click("辖区案件")
    assert "共" in reply.text or "页" in reply.text
    assert len(liaison.buttons()) >= 5
    await liaison.send("/menu")
    reply = await liaison.click("指导员名册")
    assert "指导员" in reply.text
    # An instructor of the data set finds their twenty cases; the demo's 李明 still works.
    users = await table_rows(harness, User)
    assert any(u.telegram_id == FIRST_INSTRUCTOR for u in users)
    instructor = harness.user(FIRST_INSTRUCTOR + 10, "指导员")
    await instructor.send("/menu")
    reply = await instructor.click("我的案件")
    assert "有限公司" in reply.text
    li = harness.user(1101, "李明")
    await li.send("/menu")
    assert "光谷电子有限公司" in (await li.click("我的案件")).text


@pytest.mark.parametrize("serial", [1, 42, 99_999_999])
def test_made_up_credit_codes_are_valid(serial: int):
    from bot.services.province import credit_code as make

    assert credit_code.is_valid(make(serial))


def test_the_cli_seeds_the_province(tmp_path, monkeypatch):
    """`xieshang demo seed --province` on an empty database, then nothing on a second run."""
    import bot.services.province as province
    from bot.cli import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/p.db")
    monkeypatch.setattr(province, "Scale", lambda: SMALL)
    monkeypatch.setattr(province.seed_province, "__defaults__", (SMALL, None))
    first = CliRunner().invoke(cli, ["demo", "seed", "--province"])
    assert first.exit_code == 0, first.output
    assert "province data set created" in first.output
    second = CliRunner().invoke(cli, ["demo", "seed", "--province"])
    assert "nothing done" in second.output


async def test_the_ranking_of_a_big_union_is_paged(harness: Harness):
    scale = Scale(cities=2, counties=5, instructors_per_county=5, cases_per_instructor=2,
                  surveys=1, answers_per_survey=5, tasks=1, trainings=1)  # fmt: skip
    await seed_province(harness.app.db.sessions, harness.clock.now(), harness.app.settings, scale)
    liaison = harness.user(PROVINCE_LIAISON, "省总")
    await liaison.send("/menu")
    first = await liaison.click("考核")
    assert "共 27 人，第 1/3 页" in first.text  # 25 of the data set and the demo's two
    assert len([b for b, _ in liaison.buttons() if b.startswith("📝")]) == 10  # a phone's page
    second = await liaison.click("下一页")
    assert "第 2/3 页" in second.text
    assert "11. " in second.text
    third = await liaison.click("下一页")
    assert "第 3/3 页" in third.text
    assert "21. " in third.text
    assert "27. " in third.text
    assert len([b for b, _ in liaison.buttons() if b.startswith("📝")]) == 7
    assert "上一页" in " ".join(b for b, _ in liaison.buttons())
