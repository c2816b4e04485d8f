"""Recurring duties (cron rules), the morning digest and the weekly liaison summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlmodel import select

from bot import jobs
from bot.services import duties
from bot.testing import Harness
from storage.models import BargainingCase, Duty, OrgLevel, Reminder, ReminderStatus, Role, Stage
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import join, make_org
from tests.flows import open_case, register_enterprise

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_rules_compute_the_next_time_and_refuse_impossible_ones():
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert duties.next_time("0 9 25 * *", now, SHANGHAI) == datetime(
        2026, 11, 25, 9, 0, tzinfo=SHANGHAI
    )
    first_monday = duties.next_time("0 9 1-7 * mon", now, SHANGHAI)
    assert first_monday == datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
    quarter = duties.next_time("0 9 1 1,4,7,10 *", now, SHANGHAI)
    assert quarter == datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI)
    assert duties.next_time("0 9 30 2 *", now, SHANGHAI) is None
    with pytest.raises(ValidationError, match="not a crontab rule"):
        make_settings("sqlite+aiosqlite:///x.db", duty_supervision_cron="every day")
    with pytest.raises(ValidationError, match="never fires"):
        make_settings("sqlite+aiosqlite:///x.db", duty_monthly_report_cron="0 9 31 2 *")


async def _rows(h: Harness, model):
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(model))).scalars().all())


async def test_duties_digest_and_weekly_summary(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    county = await make_org(harness, "洪山区总工会", OrgLevel.county, "武汉市总工会")
    liaison = harness.user(1001, "王芳")
    await join(harness, liaison, city, Role.liaison)
    chat = harness.user(1101, "李明")
    await join(harness, chat, county, Role.instructor)
    await register_enterprise(chat)
    await open_case(chat)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        case.stage = Stage.in_force
        await uow.commit()

    await jobs.duty_tick(harness.app)
    await jobs.duty_tick(harness.app)  # twice: nothing doubles
    assert sorted(d.kind for d in await _rows(harness, Duty)) == [
        "contact_meeting",
        "monthly_report",
        "supervision",
    ]
    planned = [r for r in await _rows(harness, Reminder) if r.kind == "duty"]
    assert len(planned) == 1  # the monthly report on the 25th; the others are further off
    assert planned[0].due_at == datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)

    # 08:30 next morning: the digest lists the report due at 09:00.
    harness.clock.set(datetime(2026, 11, 25, 8, 30, tzinfo=SHANGHAI))
    await jobs.reminder_tick(harness.app)
    assert "今日事项" in chat.last_text
    assert "工作报告" in chat.last_text
    harness.clock.advance(timedelta(minutes=30))
    await jobs.reminder_tick(harness.app)
    assert "本月工作报告" in chat.last_text
    assert "完成" in " ".join(label for label, _ in chat.buttons())

    # Not marked done: the next morning it is still open.
    harness.clock.set(datetime(2026, 11, 26, 8, 30, tzinfo=SHANGHAI))
    await jobs.duty_tick(harness.app)
    await jobs.reminder_tick(harness.app)
    assert "尚未完成" in chat.last_text
    assert "工作报告" in chat.last_text

    # Monday's summary for the liaison names the instructor with open items.
    harness.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    await jobs.duty_tick(harness.app)
    await jobs.reminder_tick(harness.app)
    assert "本周辖区待办汇总" in liaison.last_text
    assert "李明：未完成事项 1 项" in liaison.last_text

    # Marked done: the next digest has nothing to say, so none is sent.
    await chat.click("✅ 完成")
    before = len(chat.bot_messages())
    harness.clock.set(datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI))
    await jobs.duty_tick(harness.app)
    await jobs.reminder_tick(harness.app)
    assert len(chat.bot_messages()) == before
    digests = [r for r in await _rows(harness, Reminder) if r.kind == "digest"]
    assert ReminderStatus.cancelled in {r.status for r in digests}

    # The contract leaves force: its supervision duty stops.
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        case.stage = Stage.terminated
        await uow.commit()
    await jobs.duty_tick(harness.app)
    [supervising] = [d for d in await _rows(harness, Duty) if d.kind == "supervision"]
    assert not supervising.active
