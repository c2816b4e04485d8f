"""The reminder engine: deadlines produce reminders at the right moments, each is delivered
once (across ticks, restarts and two processes), quiet hours hold, late ones say so."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot import jobs
from bot.services import reminders
from bot.settings import Settings
from bot.testing import Harness
from storage.db import Database
from storage.models import Reminder, ReminderStatus, Role, User
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.flows import instructor, open_case, register_enterprise

SHANGHAI = ZoneInfo("Asia/Shanghai")
Q = (time(22, 0), time(8, 0))


@pytest.mark.parametrize(
    ("clock_time", "quiet"),
    [((21, 59), False), ((22, 0), True), ((3, 0), True), ((7, 59), True), ((8, 0), False)],
)
def test_quiet_hours_edges(clock_time: tuple[int, int], quiet: bool):
    hour, minute = clock_time
    moment = datetime(2026, 11, 24, hour, minute, tzinfo=SHANGHAI)
    assert reminders.in_quiet_hours(moment, SHANGHAI, *Q) is quiet


def test_after_quiet_hours():
    late_evening = datetime(2026, 11, 24, 23, 0, tzinfo=SHANGHAI)
    small_hours = datetime(2026, 11, 25, 3, 0, tzinfo=SHANGHAI)
    expected = datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI)
    assert reminders.after_quiet_hours(late_evening, SHANGHAI, *Q) == expected
    assert reminders.after_quiet_hours(small_hours, SHANGHAI, *Q) == expected
    noon = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
    assert reminders.after_quiet_hours(noon, SHANGHAI, *Q) == noon


def test_retry_backoff_grows_and_caps():
    assert [reminders.retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 7, 20)] == [
        1,
        2,
        4,
        60,
        60,
    ]


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


async def _rows(h: Harness) -> list[Reminder]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list(
            (await uow.session.execute(select(Reminder).order_by(col(Reminder.id)))).scalars().all()
        )


async def _offer_sent(h: Harness):
    chat = await instructor(h)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("发出要约")
    await chat.click("今天")  # 2026-11-24: reply due 2026-12-14
    return chat


def _sent_to(h: Harness, chat_id: int, since: int) -> list[str]:
    return [
        c.text
        for c in h.telegram.calls[since:]
        if c.method == "sendMessage" and c.chat_id == chat_id
    ]


async def test_reply_deadline_reminders_arrive_once(harness: Harness):
    await _offer_sent(harness)
    rows = await _rows(harness)
    assert {(r.kind, r.due_at) for r in rows} == {
        ("case_deadline", local(2026, 12, 11, 9, 0)),
        ("case_deadline", local(2026, 12, 14, 9, 0)),
    }
    before = len(harness.telegram.calls)
    harness.clock.set(local(2026, 12, 11, 8, 59))
    assert (await jobs.reminder_tick(harness.app)).sent == 0
    harness.clock.set(local(2026, 12, 11, 9, 0))
    assert (await jobs.reminder_tick(harness.app)).sent == 1
    assert (await jobs.reminder_tick(harness.app)).sent == 0
    [text] = _sent_to(harness, 1101, before)
    assert "对方书面回应期限还有 3 天（2026-12-14）" in text
    assert "迟到" not in text


async def test_reminders_vanish_when_the_case_moves_on(harness: Harness):
    chat = await _offer_sent(harness)
    await chat.click("收到回应")
    await chat.click("今天")
    statuses = {
        r.status
        for r in await _rows(harness)
        if r.kind == "case_deadline" and "reply_due" in r.idem_key
    }
    assert statuses == {ReminderStatus.cancelled}
    harness.clock.set(local(2026, 12, 14, 9, 0))
    assert (await jobs.reminder_tick(harness.app)).sent == 0


async def test_missed_while_down_goes_out_once_marked_late(harness: Harness):
    await _offer_sent(harness)
    harness.clock.set(local(2026, 12, 15, 10, 0))  # the bot was off over both moments
    before = len(harness.telegram.calls)
    stats = await jobs.reminder_tick(harness.app)
    assert (stats.sent, stats.late) == (2, 2)
    texts = _sent_to(harness, 1101, before)
    assert all("迟到的提醒" in t for t in texts)
    assert all(r.late and r.status is ReminderStatus.sent for r in await _rows(harness))


async def test_a_crash_between_claim_and_send_delivers_once_after_the_lease(harness: Harness):
    await _offer_sent(harness)
    harness.clock.set(local(2026, 12, 11, 9, 0))
    async with UnitOfWork(harness.app.db.sessions) as uow:
        claimed = await reminders.claim(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    assert len(claimed) == 1  # ...and the process dies here
    await harness.restart()
    before = len(harness.telegram.calls)
    assert (await jobs.reminder_tick(harness.app)).sent == 0  # still claimed by the dead one
    harness.clock.advance(seconds=harness.app.settings.reminder_lease_seconds + 1)
    assert (await jobs.reminder_tick(harness.app)).sent == 1
    assert (await jobs.reminder_tick(harness.app)).sent == 0
    assert len(_sent_to(harness, 1101, before)) == 1


async def test_quiet_hours_hold_unless_urgent(harness: Harness):
    chat = await _offer_sent(harness)
    await chat.click("收到回应")
    await chat.click("今天")
    # Log a meeting whose next meeting is at 00:30: the day-before reminder falls at
    # 00:30 (quiet, deferred), the two-hours-ahead one at 22:30 (urgent, sent).
    await chat.click("记录协商会议")
    await chat.click("今天 9:00")
    await chat.send("会议室")
    await chat.send("5")
    await chat.send("5")
    await chat.click("是")
    await chat.send("张记录")
    await chat.click("跳过")
    await chat.click("跳过")
    await chat.send("2026-11-27 00:30")
    await chat.click("跳过")
    await chat.click("提交")
    meeting = {
        r.idem_key.rsplit(":", 1)[1]: r for r in await _rows(harness) if r.kind == "next_meeting"
    }
    assert meeting["day"].due_at == local(2026, 11, 26, 0, 30)
    assert meeting["hours"].urgent

    harness.clock.set(local(2026, 11, 26, 0, 30))
    stats = await jobs.reminder_tick(harness.app)
    assert (stats.sent, stats.deferred) == (0, 1)
    harness.clock.set(local(2026, 11, 26, 8, 0))
    assert (await jobs.reminder_tick(harness.app)).sent == 1
    harness.clock.set(local(2026, 11, 26, 22, 30))
    assert (await jobs.reminder_tick(harness.app)).sent == 1  # urgent: quiet hours or not


async def test_blocked_recipient_is_not_retried(harness: Harness):
    await _offer_sent(harness)
    harness.telegram.blocked.add(1101)
    harness.clock.set(local(2026, 12, 11, 9, 0))
    stats = await jobs.reminder_tick(harness.app)
    assert stats.blocked == 1
    harness.clock.advance(hours=1)
    assert (await jobs.reminder_tick(harness.app)).blocked == 0
    first, later = await _rows(harness)
    assert first.status is ReminderStatus.blocked
    assert later.status is ReminderStatus.pending  # a later reminder still tries


async def test_two_processes_claim_disjoint_sets(any_db_url: str):
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    db_one, db_two = Database(any_db_url), Database(any_db_url)
    try:
        async with UnitOfWork(db_one.sessions) as uow:
            org = await uow.orgs.by_name("x") or await _org(uow, now)
            user = await uow.users.add(
                User(telegram_id=1, role=Role.instructor, org_id=org.id or 0, created_at=now)
            )
            for i in range(60):
                await uow.reminders.upsert(
                    Reminder(
                        recipient_id=user.id or 0,
                        kind="personal",
                        idem_key=f"t:{i}",
                        due_at=now,
                        next_attempt_at=now,
                        status=ReminderStatus.pending,
                        created_at=now,
                    )
                )
            await uow.commit()

        async def take(db: Database) -> set[int]:
            taken: set[int] = set()
            for _ in range(4):
                async with UnitOfWork(db.sessions) as uow:
                    taken |= {r.id or 0 for r in await uow.reminders.claim_due(now, 10)}
                    await uow.commit()
            return taken

        first, second = await asyncio.gather(take(db_one), take(db_two))
        assert not first & second
        assert len(first | second) == 60
    finally:
        await db_one.dispose()
        await db_two.dispose()


async def _org(uow: UnitOfWork, now: datetime):
    from bot.services import orgs
    from storage.models import OrgLevel

    return await orgs.add_org(uow, "x", OrgLevel.city, None, now)


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)
