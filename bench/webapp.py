"""The survey as a Mini App against the chat survey (issue 22): WORKERS workers submit their
whole answer over HTTP at once (CONCURRENCY at a time, each with its own signed initData);
submissions per second and p99 latency, against what the chat survey can do within
Telegram's 30 messages a second when each answer costs the messages counted for one chat
answer in this same run.

    python -m bench.webapp
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bench.surveys import (
    UNPACED,
    Row,
    _one_worker,
    bench_settings,
    open_demo_survey,
    print_rows,
    ratio,
)
from bot import webapp
from bot.emulator.server import sign_init_data
from bot.settings import Settings
from bot.testing import Harness
from bot.testing.client import TEST_TOKEN
from storage.models import Survey

WORKERS = 2000
CONCURRENCY = 50
TELEGRAM_RATE = 30.0  # messages a second, one bot
TARGET = 20.0
SENDS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto"}


def _settings(url: str) -> Settings:
    return bench_settings(url, public_url="https://bench.example.org", **UNPACED)


async def _chat_messages_per_answer(h: Harness, survey: Survey) -> float:
    """Messages the bot sends (or edits) for one worker answering in chat."""
    before = len(h.telegram.calls)
    await _one_worker(h, 9_000_000_001, survey, random.Random(7))
    return float(sum(1 for c in h.telegram.calls[before:] if c.method in SENDS))


async def submissions(folder: Path, workers: int = WORKERS) -> list[Row]:
    h = await Harness.start(_settings(f"sqlite+aiosqlite:///{folder}/webapp.db"))
    try:
        survey = await open_demo_survey(h.app)
        per_answer = await _chat_messages_per_answer(h, survey)
        server = TestServer(webapp.application(h.app))
        await server.start_server()
        moment = int(h.clock.now().timestamp())
        rng = random.Random(2026)
        latencies: list[float] = []
        failed = 0
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(session: ClientSession, n: int) -> None:
            nonlocal failed
            user = {"id": 7_000_000_000 + n, "first_name": "w", "language_code": "zh"}
            chosen = rng.sample(range(len(survey.topics)), rng.randint(2, 4))
            answer = {
                "topics": chosen,
                "rank": chosen[:3],
                "rise": rng.randint(0, 150),
                "stratum": rng.choice(["frontline", "junior", "middle"]),
                "comment": "",
            }
            body = {
                "init_data": sign_init_data(TEST_TOKEN, user, auth_date=moment),
                "token": survey.token,
                "answer": answer,
            }
            async with gate:
                started = time.perf_counter()
                async with session.post(server.make_url("/app/api/survey/submit"), json=body) as r:
                    await r.read()
                    failed += r.status != 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        async with ClientSession() as session:
            await asyncio.gather(*(one(session, n) for n in range(workers)))
        elapsed = time.perf_counter() - started
        await server.close()
    finally:
        await h.close()
    rate = workers / elapsed
    chat_rate = TELEGRAM_RATE / per_answer
    p99 = statistics.quantiles(latencies, n=100)[98]
    return [
        Row(
            f"Mini App: {workers:,} workers submit over HTTP ({CONCURRENCY} at a time)",
            f"{rate:.0f} answers/s",
            f"{chat_rate:.1f} answers/s (chat survey at Telegram's 30 msg/s, "
            f"{per_answer:.0f} messages an answer)",
            ratio(rate, chat_rate),
            f"p99 {p99 * 1000:.0f} ms, p50 {statistics.median(latencies) * 1000:.0f} ms; "
            f"{failed} refused; one process, SQLite; no Telegram message per answer",
            f"≥ {TARGET:.0f}×",
        )
    ]


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print_rows(await submissions(Path(tmp)))


if __name__ == "__main__":
    asyncio.run(_main())
