"""Reminder benchmarks: a tick with 100,000 reminders pending and none due (what every tick
costs all day long) against a tick on an empty table, and how late reminders arrive when
hundreds fall due within a minute, measured on the wall clock through the real sender."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bench.surveys import Row, ratio
from bot import jobs
from bot.clock import SystemClock
from bot.services import demo
from bot.settings import Settings
from bot.testing import Harness
from storage.models import Reminder, ReminderStatus, Role, User
from storage.uow import UnitOfWork

PENDING = 100_000
BURST = 400  # reminders falling due within BURST_SECONDS
BURST_SECONDS = 15


async def _median_tick(h: Harness, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        stats = await jobs.reminder_tick(h.app)
        times.append(time.perf_counter() - started)
        assert stats.sent == 0
    return statistics.median(times)


async def idle_tick(settings: Settings) -> list[Row]:
    h = await Harness.start(settings)
    try:
        empty = await _median_tick(h)
        now = h.clock.now()
        async with UnitOfWork(h.app.db.sessions) as uow:
            await demo.seed(uow, now, h.app.settings)
            await uow.commit()
        rows = [
            {
                "recipient_id": 1,
                "kind": "personal",
                "idem_key": f"bench:{i}",
                "due_at": now + timedelta(days=1, seconds=i),
                "next_attempt_at": now + timedelta(days=1, seconds=i),
                "urgent": False,
                "payload": {"key": "reminders.personal", "params": {"text": "x"}},
                "status": ReminderStatus.pending,
                "attempts": 0,
                "late": False,
                "created_at": now,
            }
            for i in range(PENDING)
        ]
        async with UnitOfWork(h.app.db.sessions) as uow:
            for start in range(0, PENDING, 10_000):
                await uow.session.execute(insert(Reminder), rows[start : start + 10_000])
            await uow.commit()
        full = await _median_tick(h)
    finally:
        await h.close()
    return [
        Row(
            f"reminder tick, {PENDING:,} pending, none due",
            f"{full * 1000:.2f} ms",
            f"{empty * 1000:.2f} ms with none pending",
            ratio(full, empty),
            "an index on (status, next attempt) does the work",
            "< 10 ms",
        )
    ]


async def lateness(settings: Settings) -> list[Row]:
    """Reminders due over BURST_SECONDS, one per recipient, ticking every second."""
    tuned = settings.model_copy(update={"reminder_tick_seconds": 1})
    h = await Harness.start(tuned, clock=None)
    h.app.clock = SystemClock()  # wall-clock time: lateness is real
    try:
        start = datetime.now(UTC) + timedelta(seconds=2)
        due = {}
        async with UnitOfWork(h.app.db.sessions) as uow:
            await demo.seed(uow, start, h.app.settings)
            for i in range(BURST):
                telegram_id = 5_000_000 + i
                h.user(telegram_id, f"u{i}")
                user = await uow.users.add(
                    User(
                        telegram_id=telegram_id,
                        role=Role.instructor,
                        org_id=1,
                        display_name=f"u{i}",
                        created_at=start,
                    )
                )
                at = start + timedelta(seconds=BURST_SECONDS * i / BURST)
                due[telegram_id] = at
                await uow.reminders.upsert(
                    Reminder(
                        recipient_id=user.id or 0,
                        kind="personal",
                        idem_key=f"late:{i}",
                        due_at=at,
                        next_attempt_at=at,
                        urgent=True,
                        payload={"key": "reminders.personal", "params": {"text": "x"}},
                        status=ReminderStatus.pending,
                        created_at=start,
                    )
                )
            await uow.commit()
        deadline = time.monotonic() + BURST_SECONDS + 30
        while time.monotonic() < deadline:  # ticks every second, as the scheduler runs them
            started = time.monotonic()
            await jobs.reminder_tick(h.app)
            sent = {c.chat_id for c in h.telegram.calls if c.method == "sendMessage"}
            if len(sent & set(due)) == BURST:
                break
            await asyncio.sleep(max(0.0, 1 - (time.monotonic() - started)))
        late = []
        for call in h.telegram.calls:
            if call.method == "sendMessage" and call.chat_id in due:
                late.append((call.at - due[call.chat_id]).total_seconds())
    finally:
        await h.close()
    assert len(late) == BURST, (len(late), BURST)
    p50, p99 = statistics.median(late), statistics.quantiles(late, n=100)[98]
    return [
        Row(
            "reminder lateness p99",
            f"{p99:.2f} s",
            "1 s tick interval (the floor)",
            ratio(p99, 1.0),
            f"p50 {p50:.2f} s; {BURST} reminders due within {BURST_SECONDS} s, each delivered once",
            "≈ the tick interval",
        )
    ]
