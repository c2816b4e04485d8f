"""Flow-control benchmarks over real HTTP, against the playground's Bot API emulator
enforcing Telegram's flood limits (30 messages a second, per chat, 429 with retry_after).

- Survey burst at the limit: WORKERS workers open the survey link within 2 s; every one must
  get the survey's first page. Time until the last one, against the ideal WORKERS / 30 s.
- Broadcast under use: a broadcast to RECIPIENTS instructors runs while 20 instructors each
  send a command every 2 s: their reply latency, and the broadcast's rate against the budget
  left after the replies.
- Two processes (`xieshang run`, webhook mode) on PostgreSQL and Redis, the same burst spread
  over both: the combined send rate in every one-second window, every worker answered.

    python -m bench.flow [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.surveys import Row, open_demo_survey, ratio
from bot.app import App, create_app
from bot.emulator.server import Emulator
from bot.emulator.telegram import Call
from bot.playground import PLAYGROUND_TOKEN, start_emulator
from bot.services import broadcasts, orgs
from bot.settings import Settings
from bot.testing.http import Person, add_instructors
from storage.models import OrgLevel, Role, User
from storage.uow import UnitOfWork

LIMIT = 30.0
WORKERS = 2000
RECIPIENTS = 2000
INSTRUCTORS = 20
WORKER_BASE = 7_100_000_000
RECIPIENT_BASE = 7_200_000_000
INSTRUCTOR_BASE = 7_300_000_000
SENDS = frozenset({"sendMessage", "editMessageText", "sendDocument", "sendPhoto"})


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tuned(settings: Settings, url: str, port: int) -> Settings:
    return settings.model_copy(
        update={
            "database_url": url,
            "bot_api_url": f"http://127.0.0.1:{port}",
            "sender_global_rate": LIMIT,
            "sender_chat_rate": 1.0,
            "sender_chat_burst": 3,
            "broadcast_progress_seconds": 5,
            "broadcast_approval_above": RECIPIENTS + INSTRUCTORS,
        }
    )


async def _open_survey(app: App) -> str:
    """The demo data and an open survey on its wage case; returns the survey's token."""
    return (await open_demo_survey(app, ("pay", "hours", "safety"))).token


def _first_reply(calls: list[Call], people: set[int]) -> dict[int, datetime]:
    """When each person got their first message."""
    first: dict[int, datetime] = {}
    for call in calls:
        chat = call.chat_id
        if call.method == "sendMessage" and call.error is None and chat in people:
            first.setdefault(chat, call.at)
    return first


def _worst_second(calls: list[Call]) -> int:
    """The most messages Telegram accepted in any one-second window."""
    times = sorted(c.at.timestamp() for c in calls if c.method in SENDS and c.error is None)
    worst, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        worst = max(worst, end - start + 1)
    return worst


def _refusals(calls: list[Call]) -> tuple[int, int]:
    """(429s provoked by the bot's pace, sends attempted)."""
    sends = [c for c in calls if c.method in SENDS]
    return sum(1 for c in sends if c.error is not None and c.error.status == 429), len(sends)


async def _wait_answered(emulator: Emulator, people: set[int], seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if len(_first_reply(emulator.telegram.calls, people)) == len(people):
            return
        await asyncio.sleep(0.2)


async def _burst(emulator: Emulator, token: str, workers: int, spread: float = 2.0) -> float:
    """Workers open the link within `spread` seconds; returns when the first one did."""
    started = time.perf_counter()
    for i in range(workers):
        emulator.persona(WORKER_BASE + i, f"工人{i}", "zh")
    for i in range(workers):
        emulator.send_text(WORKER_BASE + i, f"/start {token}")
        await asyncio.sleep(spread / workers)
    return started


async def survey_burst(settings: Settings, workers: int = WORKERS) -> list[Row]:
    port = _port()
    emulator, runner = await start_emulator("127.0.0.1", port, rate_limit=LIMIT)
    folder = tempfile.mkdtemp(prefix="xieshang-flow-")
    app = create_app(
        _tuned(settings, f"sqlite+aiosqlite:///{folder}/flow.db", port), token=PLAYGROUND_TOKEN
    )
    polling: asyncio.Task[None] | None = None
    try:
        await app.migrate()
        token = await _open_survey(app)
        polling = asyncio.create_task(
            app.dispatcher.start_polling(app.bot, handle_signals=False, polling_timeout=1)
        )
        people = {WORKER_BASE + i for i in range(workers)}
        started_wall = datetime.now(UTC)
        await _burst(emulator, token, workers)
        await _wait_answered(emulator, people, workers / LIMIT * 3 + 60)
        first = _first_reply(emulator.telegram.calls, people)
        last = max(first.values()) if first else started_wall
        elapsed = (last - started_wall).total_seconds()
        refused, attempted = _refusals(emulator.telegram.calls)
    finally:
        if polling is not None:
            await app.dispatcher.stop_polling()
            await polling
        await app.close()
        await runner.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    ideal = workers / LIMIT
    return [
        Row(
            f"survey burst: workers given the first page, {workers:,} within 2 s",
            f"{len(first):,}",
            f"{workers:,}",
            ratio(len(first), workers),
            "every one, none dropped",
            "1× (all)",
        ),
        Row(
            "the same: time until the last worker's first page",
            f"{elapsed:.1f} s",
            f"{ideal:.1f} s ({workers:,} at {LIMIT:.0f}/s, the ideal)",
            ratio(ideal, elapsed),
            "ideal ÷ measured",
            "≥ 0.9×",
        ),
        Row(
            "the same: 429s provoked",
            f"{refused} of {attempted:,} sends",
            "0",
            f"{refused / max(attempted, 1):.2%}",
            "Telegram's flood limits enforced by the emulator (global and per chat)",
            "≤ 1 %",
        ),
    ]


async def broadcast_under_use(settings: Settings) -> list[Row]:
    port = _port()
    emulator, runner = await start_emulator("127.0.0.1", port, rate_limit=LIMIT)
    folder = tempfile.mkdtemp(prefix="xieshang-flow-")
    tuned = _tuned(settings, f"sqlite+aiosqlite:///{folder}/flow.db", port)
    app = create_app(tuned, token=PLAYGROUND_TOKEN)
    polling: asyncio.Task[None] | None = None
    stop = asyncio.Event()
    latencies: list[float] = []
    try:
        await app.migrate()
        now = datetime.now(UTC)
        async with UnitOfWork(app.db.sessions) as uow:
            org = await orgs.add_org(uow, "基准工会", OrgLevel.city, None, now)
            author = await uow.users.add(
                User(
                    telegram_id=RECIPIENT_BASE - 1,
                    role=Role.liaison,
                    org_id=org.id or 0,
                    created_at=now,
                )
            )
            emulator.persona(RECIPIENT_BASE - 1, "联络员", "zh")
            await add_instructors(
                uow,
                emulator,
                org.id or 0,
                range(RECIPIENT_BASE, RECIPIENT_BASE + RECIPIENTS),
                "i",
                now,
            )
            await uow.commit()
        async with UnitOfWork(app.db.sessions) as uow:
            author = await uow.users.get(author.id or 0) or author
            made = await broadcasts.create(
                uow, author, org.id or 0, "instructor", "基准测试通知", now, tuned
            )
            await uow.commit()
        # The busy instructors are not recipients: they joined after the broadcast was made.
        async with UnitOfWork(app.db.sessions) as uow:
            busy = range(INSTRUCTOR_BASE, INSTRUCTOR_BASE + INSTRUCTORS)
            await add_instructors(uow, emulator, org.id or 0, busy, "忙", now)
            await uow.commit()
        polling = asyncio.create_task(
            app.dispatcher.start_polling(app.bot, handle_signals=False, polling_timeout=1)
        )

        async def instructor(telegram_id: int, offset: float) -> None:
            await asyncio.sleep(offset)
            person = Person(emulator, telegram_id)
            while not stop.is_set():
                before = len(person.bot_messages())
                pressed = time.perf_counter()
                emulator.send_text(telegram_id, "/menu")
                while len(person.bot_messages()) == before:
                    await emulator.wait_change(emulator.telegram.version, 0.05)
                latencies.append(time.perf_counter() - pressed)
                await asyncio.sleep(max(0.0, 2.0 - (time.perf_counter() - pressed)))

        users = [
            asyncio.create_task(instructor(INSTRUCTOR_BASE + i, i * 2.0 / INSTRUCTORS))
            for i in range(INSTRUCTORS)
        ]
        # The app's own scheduler sends the broadcast, as in production.
        started = time.perf_counter()
        deadline = started + RECIPIENTS / LIMIT * 4 + 60
        while time.perf_counter() < deadline:
            async with UnitOfWork(app.db.sessions) as uow:
                left = await uow.broadcasts.counts(made.id or 0)
            if left.get("pending", 0) + left.get("sending", 0) == 0:
                break
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*users)
        per_chat: Counter[int] = Counter(
            c.chat_id or 0
            for c in emulator.telegram.calls
            if c.method == "sendMessage"
            and c.error is None
            and RECIPIENT_BASE <= (c.chat_id or 0) < RECIPIENT_BASE + RECIPIENTS
        )
        moments = [
            c.at
            for c in emulator.telegram.calls
            if c.method == "sendMessage" and c.error is None
            and RECIPIENT_BASE <= (c.chat_id or 0) < RECIPIENT_BASE + RECIPIENTS
        ]  # fmt: skip
        if moments:  # from the broadcast's first message to its last
            elapsed = (max(moments) - min(moments)).total_seconds() or elapsed
        replies = sum(
            1
            for c in emulator.telegram.calls
            if c.error is None and c.method in SENDS and (c.chat_id or 0) >= INSTRUCTOR_BASE
        )
        refused, attempted = _refusals(emulator.telegram.calls)
    finally:
        stop.set()
        if polling is not None:
            await app.dispatcher.stop_polling()
            await polling
        await app.close()
        await runner.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    lost = RECIPIENTS - len(per_chat)
    twice = sum(1 for n in per_chat.values() if n > 1)
    rate = RECIPIENTS / elapsed
    left_over = LIMIT / 1.03 - replies / elapsed
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 20 else max(latencies)
    return [
        Row(
            f"instructors' reply latency p95 during a {RECIPIENTS:,}-recipient broadcast",
            f"{p95:.2f} s",
            "2 s",
            ratio(p95, 2.0),
            f"{INSTRUCTORS} instructors, a command every 2 s each ({len(latencies)} replies; "
            f"median {statistics.median(latencies):.2f} s)",
            "≤ 1× (2 s)",
        ),
        Row(
            "the broadcast's rate meanwhile",
            f"{rate:.1f}/s",
            f"{left_over:.1f}/s (the budget left after the replies)",
            ratio(rate, left_over),
            f"{lost} lost, {twice} duplicated; {refused} 429s in {attempted:,} sends",
            "≥ 0.8×",
        ),
    ]


async def fresh_services(postgres_url: str, redis_url: str) -> None:
    """An empty PostgreSQL schema and an empty Redis database for a multi-process run."""
    from redis.asyncio import Redis
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(postgres_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()


async def listening(port: int) -> None:
    """Wait until a process listens on `port` (30 s at most)."""
    for _ in range(300):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


@asynccontextmanager
async def webhook_processes(
    env: dict[str, str], ports: list[int]
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """`xieshang run` in webhook mode, one process on each port, listening before the body
    runs; stopped (SIGTERM) after it."""
    running = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env={**env, "WEBHOOK_PORT": str(p)},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        for p in ports:
            await listening(p)
        await asyncio.sleep(1.0)
        yield running
    finally:
        for process in running:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()


async def two_processes(postgres_url: str, redis_url: str, workers: int = WORKERS) -> list[Row]:
    """Two `xieshang run` webhook processes; the bench delivers the updates alternately,
    as a load balancer would."""
    await fresh_services(postgres_url, redis_url)

    port = _port()
    emulator, runner = await start_emulator("127.0.0.1", port, rate_limit=LIMIT)
    secret = "bench-two-processes"
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "WEBHOOK_URL": "https://bot.example.org",
        "WEBHOOK_SECRET": secret,
        "WEBHOOK_HOST": "127.0.0.1",
        "SURVEY_KEY": "bench-survey-key-two-processes",
    }
    settings = Settings(
        _env_file=None, database_url=postgres_url, redis_url=None, bot_token=None,
        survey_key="bench-survey-key-two-processes",
    )  # fmt: skip
    setup = create_app(settings, token=PLAYGROUND_TOKEN)
    try:
        await setup.migrate()
        token = await _open_survey(setup)
    finally:
        await setup.close()
    ports = [_port(), _port()]
    try:
        async with webhook_processes(env, ports):
            emulator.telegram.webhook.clear()  # the bench delivers, alternately
            emulator.updates.clear()
            people = {WORKER_BASE + i for i in range(workers)}
            for i in range(workers):
                emulator.persona(WORKER_BASE + i, f"工人{i}", "zh")
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with aiohttp.ClientSession() as http:

                async def deliver(index: int, update: dict[str, Any]) -> None:
                    url = f"http://127.0.0.1:{ports[index % 2]}/webhook"
                    async with http.post(url, json=update, headers=headers) as response:
                        await response.read()

                started_wall = datetime.now(UTC)
                pending = []
                for i in range(workers):
                    update = emulator.send_text(WORKER_BASE + i, f"/start {token}")
                    emulator.updates.clear()
                    pending.append(asyncio.create_task(deliver(i, update)))
                    await asyncio.sleep(2.0 / workers)
                await asyncio.gather(*pending)
            await _wait_answered(emulator, people, workers / LIMIT * 3 + 60)
            first = _first_reply(emulator.telegram.calls, people)
            worst = _worst_second(emulator.telegram.calls)
            refused, attempted = _refusals(emulator.telegram.calls)
            elapsed = (max(first.values()) - started_wall).total_seconds() if first else 0.0
    finally:
        await runner.cleanup()
    return [
        Row(
            "two processes (PostgreSQL, Redis): most sends in any one second",
            f"{worst}",
            f"{LIMIT:.0f} (Telegram's limit)",
            ratio(worst, LIMIT),
            f"{workers:,} workers spread over both; {len(first):,} answered in {elapsed:.1f} s; "
            f"{refused} 429s in {attempted:,} sends",
            "≤ 1×",
        ),
        Row(
            "the same: workers given the first page",
            f"{len(first):,}",
            f"{workers:,}",
            ratio(len(first), workers),
            "",
            "1× (all)",
        ),
    ]


async def all_rows(settings: Settings, workers: int = WORKERS) -> list[Row]:
    rows = await survey_burst(settings, workers)
    rows += await broadcast_under_use(settings)
    postgres, redis = os.environ.get("TEST_POSTGRES_URL"), os.environ.get("TEST_REDIS_URL")
    if postgres and redis:
        rows += await two_processes(postgres, redis, workers)
    return rows


SECTION = "## Flow control over HTTP (emulator enforcing Telegram's limits)"


def write_section(rows: list[Row], path: Path) -> None:
    """Put this section into docs/benchmarks.md in place of an earlier one (a run of this
    module alone; `make bench` writes the whole file)."""
    table = [
        "| measure | value | reference (same run) | ratio | target | note |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r.name} | {r.value} | {r.reference} | {r.ratio} | {r.target} | {r.note} |"
            for r in rows
        ),
    ]
    stamp = f"_Run alone (`python -m bench.flow --write`): {datetime.now(UTC):%Y-%m-%d %H:%M} UTC._"
    section = "\n".join([SECTION, "", stamp, "", *table]) + "\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[end + 1 :] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument(
        "--write", action="store_true", help="put the section in docs/benchmarks.md"
    )
    args = parser.parse_args()
    base = Settings(
        _env_file=None, bot_token=None, redis_url=None, throttle_rate=1000.0, throttle_burst=1000,
        survey_key="bench-survey-key",
    )  # fmt: skip
    found = asyncio.run(all_rows(base, args.workers))
    for row in found:
        print(
            f"{row.name}: {row.value} | {row.reference} | {row.ratio} | {row.target} | {row.note}"
        )
    if args.write:
        write_section(found, Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md")
