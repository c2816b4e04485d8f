"""Slips a union official met in the first hour (issue 17), each pinned at the rule where
it belongs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import MoveCB
from bot.services import documents
from bot.services.errors import Problem
from bot.settings import LegalSettings
from handlers.forms import FormAct, FormCB

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")
TERM = documents.Ask("term_years", "years")


@pytest.mark.parametrize(
    ("typed", "stored"), [("2", "2"), ("两年", "2"), ("３", "3"), ("1 年", "1")]
)
def test_contract_term_takes_what_people_type(typed: str, stored: str):
    assert documents.parse_answer(TERM, typed, NOW, ZONE, LegalSettings()) == stored


@pytest.mark.parametrize("typed", ["0", "5", "十年", "²", "99999999999", "一年半"])
def test_contract_term_outside_the_legal_range_is_refused(typed: str):
    with pytest.raises(Problem) as refused:
        documents.parse_answer(TERM, typed, NOW, ZONE, LegalSettings())
    assert refused.value.key == "documents.bad_years"
    assert refused.value.params == {"low": 1, "high": 3}


def test_contract_term_follows_the_legal_setting():
    local = LegalSettings(term_min_years=1, term_max_years=5)
    assert documents.parse_answer(TERM, "5", NOW, ZONE, local) == "5"


async def test_a_forged_term_button_is_refused(harness):
    from tests.flows import instructor, open_case, register_enterprise

    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    from sqlmodel import select

    from storage.models import BargainingCase
    from storage.uow import UnitOfWork

    async with UnitOfWork(harness.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        case.stage = case.stage.draft
        case.congress_passed = True
        await uow.commit()
    await chat.press(MoveCB(case_id=case.id, stage="signed", when="today").pack())
    forged = FormCB(form="sg", action=FormAct.pick, value="5")  # a term the law does not allow
    reply = await chat.press(forged.pack())
    assert "按钮已经过期" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
    assert case.term_years is None


@pytest.mark.parametrize(
    ("age", "status", "rule"),
    [
        (64, "ok", "ok"),
        (65, "near_limit", "ok"),
        (66, "extended", "needs_approval"),
        (68, "extended", "needs_approval"),
        (69, "over_limit", None),
    ],
)
def test_one_age_rule_for_the_form_and_the_roster(age: int, status: str, rule: str | None):
    from bot.services import profiles, roster
    from bot.settings import Settings
    from storage.models import Role, User

    legal = LegalSettings()
    assert profiles.age_status(age, legal).value == status
    if rule is None:
        with pytest.raises(Problem):
            profiles.age_rule(age, legal)
    else:
        assert profiles.age_rule(age, legal).value == rule
    person = User(telegram_id=1, role=Role.instructor, org_id=1, created_at=NOW)
    warnings = roster.warnings_for(person, None, age, Settings(_env_file=None))
    expected = {"ok": set(), "near_limit": {"near_limit"}, "extended": {"extended"}}
    assert set(warnings) - {"no_profile"} == expected.get(status, {"over_limit"})


async def test_a_quick_no_is_not_a_fast_response(harness):
    from datetime import date, timedelta

    from storage.models import (
        Assignment,
        AssignmentKind,
        AssignmentRecipient,
        OrgLevel,
        RecipientStatus,
    )
    from storage.uow import UnitOfWork
    from tests.factories import join, make_org

    org = await make_org(harness, "洪山区总工会", OrgLevel.county)
    for telegram_id, name in ((1101, "李明"), (1102, "张华"), (1001, "王芳")):
        from storage.models import Role

        await join(
            harness,
            harness.user(telegram_id, name),
            org,
            Role.liaison if telegram_id == 1001 else Role.instructor,
        )
    given = NOW - timedelta(days=3)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        li, zh, liaison = [await uow.users.by_telegram_id(i) for i in (1101, 1102, 1001)]
        assert li
        assert zh
        assert liaison
        task = await uow.assignments.add(
            Assignment(
                org_id=org.id or 0,
                created_by_id=liaison.id or 0,
                kind=AssignmentKind.negotiation,
                due_on=date(2026, 12, 15),
                description="任务",
                created_at=given,
            )
        )
        for person, status, hours in ((li, "declined", 1), (zh, "accepted", 10)):
            await uow.assignments.add_recipient(
                AssignmentRecipient(
                    assignment_id=task.id or 0,
                    user_id=person.id or 0,
                    status=RecipientStatus(status),
                    responded_at=given + timedelta(hours=hours),
                )
            )
        found = await uow.activity.response_hours(
            [li.id or 0, zh.id or 0], NOW - timedelta(days=30), NOW + timedelta(days=1)
        )
    assert found == {zh.id: [10.0]}


def test_a_rectification_line_splits_only_on_semicolons():
    from bot.presentation.document_views import _rectifications

    rows = _rectifications("更换防护手套，加装通风；车间主任，王强；2026-12-31\n补发加班费")
    assert rows == [
        {"item": "更换防护手套，加装通风", "owner": "车间主任，王强", "due": "2026-12-31"},
        {"item": "补发加班费", "owner": "", "due": ""},
    ]
