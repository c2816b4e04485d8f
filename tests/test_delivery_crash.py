"""Crash tests for proactive messages: `xieshang run` is killed with SIGKILL at random
moments while it delivers a broadcast or a batch of reminders, restarted, and killed again.

The Bot API has no idempotency key, so no bot can know whether a request that was in
flight when it died reached Telegram. What the outbox promises, and these tests check
against the emulator's record of what each person received:

- nothing is lost: every recipient gets every broadcast and every reminder;
- everything is delivered exactly once, except a message Telegram had accepted when the
  process died before recording it. Those are counted at each kill (what the emulator
  delivered minus what the database recorded): at most the recorder's room (50 ms of
  sends) per kill, and a message arrives once more only for each kill it was in flight at.

CRASH_TRIALS sets the number of kills per test (CI runs a few; `make crash` runs 20)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.emulator.server import Emulator
from bot.jobs import Recorder
from bot.playground import PLAYGROUND_TOKEN, start_emulator
from bot.services import broadcasts
from bot.settings import Settings
from bot.testing.http import add_instructors, text_of
from storage.db import Database
from storage.models import OrgLevel, Reminder, ReminderStatus, Role, User
from storage.uow import UnitOfWork
from tests.test_crash import TRIALS, start_bot
from tests.test_e2e_http import cli, free_port

PEOPLE = 60
RATE = 30.0  # messages per second, as on Telegram
BASE_ID = 1_600_000_000
LIAISON_ID = BASE_ID - 1
Item = tuple[int, str]  # (recipient's Telegram id, marker text)


@dataclass
class Run:
    """A bot process on a SQLite file behind the HTTP emulator, with PEOPLE instructors."""

    emulator: Emulator
    env: dict[str, str]
    database: Path
    db: Database
    settings: Settings
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    uncertain: Counter[Item] = field(default_factory=Counter)  # kills it was in flight at
    uncertain_before: set[Item] = field(default_factory=set)
    kills: int = 0

    def delivered(self, marker: str) -> Counter[Item]:
        """How many times each person has received a message containing `marker`."""
        telegram = self.emulator.telegram
        found: Counter[Item] = Counter()
        for chat, messages in list(telegram.messages.items()):
            for message in list(messages.values()):
                if message["from"]["id"] == telegram.bot_id and marker in text_of(message):
                    found[(chat, _marker_of(text_of(message), marker))] += 1
        return found

    def sends_since(self, count: int) -> bool:
        return sum(1 for c in self.emulator.telegram.calls if c.method == "sendMessage") > count

    async def kill_during_sending(
        self, process: Process, recorded: Callable[[], set[Item]], marker: str
    ) -> Process:
        """Wait until the bot is sending, kill it somewhere in the middle, note what was
        delivered but not recorded at that moment, and start it again."""
        before = sum(1 for c in self.emulator.telegram.calls if c.method == "sendMessage")
        for _ in range(600):
            if self.sends_since(before):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(self.rng.uniform(0.0, 0.6))
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await asyncio.sleep(0.2)  # let the emulator finish any request it had received
        self.kills += 1
        unrecorded = set(self.delivered(marker)) - recorded()
        # One process ran since the last kill, with at most `room` sends unrecorded.
        assert len(unrecorded - self.uncertain_before) <= Recorder.room_for(RATE)
        self.uncertain_before = unrecorded
        self.uncertain.update(unrecorded)
        return await start_bot(self.env)

    async def crash_through(
        self,
        recorded: Callable[[], set[Item]],
        pending: Callable[[], int],
        more: Callable[[], Awaitable[None]],
        marker: str,
    ) -> None:
        """Start the bot and kill it TRIALS times while it sends, adding work with `more`
        whenever none is left; then let the last claims wait out their lease."""
        process = await start_bot(self.env)
        try:
            while self.kills < TRIALS:
                if pending() == 0:
                    await more()
                process = await self.kill_during_sending(process, recorded, marker)
            for _ in range(1200):
                if pending() == 0:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
        finally:
            await _stop(process)
        assert pending() == 0


def _marker_of(text: str, marker: str) -> str:
    """The marker and the word after it: `通知#3`, `提醒#2-17`."""
    start = text.index(marker)
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in "。，<":
        end += 1
    return text[start:end]


@contextmanager
def _sqlite(database: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(database, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
async def run(tmp_path: Path):
    port = free_port()
    emulator, runner = await start_emulator("127.0.0.1", port)
    database = tmp_path / "delivery.db"
    url = f"sqlite+aiosqlite:///{database}"
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "WEBHOOK_URL": "",
        "BROADCAST_TICK_SECONDS": "1",
        "SENDER_GLOBAL_RATE": str(RATE),
        "BROADCAST_LEASE_SECONDS": "5",
        "BROADCAST_PROGRESS_SECONDS": "60",
        "REMINDER_TICK_SECONDS": "1",
        "REMINDER_LEASE_SECONDS": "5",
        "QUIET_HOURS_START": "00:00",  # no quiet hours: the test runs at any hour
        "QUIET_HOURS_END": "00:00",
    }
    cli(env, "org", "add", "洪山区总工会", "--level", "county")
    settings = Settings(_env_file=None, database_url=url, broadcast_approval_above=10_000)
    db = Database(url)
    now = datetime.now(UTC)
    async with UnitOfWork(db.sessions) as uow:
        org = await uow.orgs.by_name("洪山区总工会")
        assert org is not None
        assert org.level is OrgLevel.county
        await add_instructors(
            uow, emulator, org.id or 0, range(BASE_ID, BASE_ID + PEOPLE), "指导员", now
        )
        await uow.users.add(
            User(telegram_id=LIAISON_ID, role=Role.liaison, org_id=org.id or 0, created_at=now)
        )
        await uow.commit()
    emulator.persona(LIAISON_ID, "联络员", "zh")
    try:
        yield Run(emulator, env, database, db, settings)
    finally:
        await db.engine.dispose()
        await runner.cleanup()


async def _stop(process: Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await process.wait()


def _check(run: Run, delivered: Counter[Item], expected: set[Item]) -> None:
    assert set(delivered) == expected, "lost: " + str(sorted(expected - set(delivered))[:5])
    for item, times in delivered.items():  # a second copy only after a kill in its window
        assert times <= 1 + run.uncertain[item], item
    assert run.emulator.telegram.errors() == []
    twice = sum(1 for times in delivered.values() if times > 1)
    print(f"{run.kills} kills: {len(expected)} messages, {twice} sent twice (in flight)")


async def test_a_broadcast_survives_kill_9(run: Run):
    """Each round is a new broadcast to every instructor; the bot is killed while sending."""

    async def new_broadcast(number: int) -> int:
        async with UnitOfWork(run.db.sessions) as uow:
            liaison = await uow.users.by_telegram_id(LIAISON_ID)
            assert liaison is not None
            made = await broadcasts.create(
                uow,
                liaison,
                liaison.org_id,
                "instructor",
                f"通知#{number} 请于周五前提交季度报表。",
                datetime.now(UTC),
                run.settings,
            )
            await uow.commit()
            return made.id or 0

    def recorded() -> set[Item]:
        with _sqlite(run.database) as connection:
            rows = connection.execute(
                "SELECT u.telegram_id, d.broadcast_id FROM broadcast_delivery d "
                "JOIN app_user u ON u.id = d.user_id WHERE d.status = 'sent'"
            ).fetchall()
        return {(telegram_id, f"通知#{number}") for telegram_id, number in rows}

    def pending() -> int:
        with _sqlite(run.database) as connection:
            (count,) = connection.execute(
                "SELECT count(*) FROM broadcast_delivery WHERE status IN ('pending', 'sending')"
            ).fetchone()
        return int(count)

    numbers = [await new_broadcast(1)]

    async def more() -> None:
        numbers.append(await new_broadcast(len(numbers) + 1))

    await run.crash_through(recorded, pending, more, "通知#")
    expected = {(BASE_ID + i, f"通知#{n}") for i in range(PEOPLE) for n in numbers}
    _check(run, run.delivered("通知#"), expected)
    assert recorded() == expected


async def test_reminders_survive_kill_9(run: Run):
    """Each round is a reminder due now for every instructor; the bot is killed while it
    delivers them."""

    async def new_round(number: int) -> None:
        now = datetime.now(UTC) - timedelta(seconds=1)
        async with UnitOfWork(run.db.sessions) as uow:
            for i in range(PEOPLE):
                user = await uow.users.by_telegram_id(BASE_ID + i)
                assert user is not None
                await uow.reminders.upsert(
                    Reminder(
                        recipient_id=user.id or 0,
                        kind="personal",
                        idem_key=f"crash:{number}:{i}",
                        due_at=now,
                        next_attempt_at=now,
                        payload={
                            "key": "reminders.personal",
                            "params": {"text": f"提醒#{number}-{i} 核对工资协议草案"},
                        },
                        status=ReminderStatus.pending,
                        created_at=now,
                    )
                )
            await uow.commit()

    def recorded() -> set[Item]:
        with _sqlite(run.database) as connection:
            rows = connection.execute(
                "SELECT u.telegram_id, r.idem_key FROM reminder r "
                "JOIN app_user u ON u.id = r.recipient_id "
                "WHERE r.status = 'sent' AND r.idem_key LIKE 'crash:%'"
            ).fetchall()
        found = set()
        for telegram_id, key in rows:
            _, number, index = key.split(":")
            found.add((telegram_id, f"提醒#{number}-{index}"))
        return found

    def pending() -> int:
        with _sqlite(run.database) as connection:
            (count,) = connection.execute(
                "SELECT count(*) FROM reminder "
                "WHERE status IN ('pending', 'sending') AND idem_key LIKE 'crash:%'"
            ).fetchone()
        return int(count)

    rounds = [1]
    await new_round(1)

    async def more() -> None:
        rounds.append(len(rounds) + 1)
        await new_round(rounds[-1])

    await run.crash_through(recorded, pending, more, "提醒#")
    expected = {(BASE_ID + i, f"提醒#{n}-{i}") for i in range(PEOPLE) for n in rounds}
    _check(run, run.delivered("提醒#"), expected)
    assert recorded() == expected
