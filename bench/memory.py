"""Idle memory (issue 21): `xieshang run` polling the emulator against a bare aiogram echo bot
polling the same emulator, both started as processes in this run; resident memory (VmRSS)
after they have settled. Then the bot answers a survey burst and goes idle again: its memory
should come back near where it was (no cache that grows without bound).

    python -m bench.memory
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from pathlib import Path

from bench.surveys import Row, print_rows, ratio
from bot.playground import PLAYGROUND_TOKEN, start_emulator

SETTLE = 12.0  # seconds after start: imports done, first polls made, the scheduler ticking
IDLE_TARGET = 1.25
BURST, BURST_CONCURRENCY = 10_000, 50  # workers answering through the Mini App at once
BURST_TARGET = 1.5

ECHO = """
import asyncio
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

router = Router()

@router.message()
async def echo(message: Message) -> None:
    await message.answer(message.text or "")

async def main() -> None:
    import os
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BOT_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    await dispatcher.start_polling(bot, handle_signals=True)

asyncio.run(main())
"""


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _idle_rss(command: list[str], env: dict[str, str]) -> float:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await asyncio.sleep(SETTLE)
        if process.returncode is not None:
            raise RuntimeError(f"{command[:3]} exited with {process.returncode}")
        return rss_mib(process.pid)
    finally:
        process.terminate()
        await process.wait()


async def idle(folder: Path) -> list[Row]:
    port = _port()
    _, runner = await start_emulator("127.0.0.1", port)
    base = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "REDIS_URL": "",
        "WEBHOOK_URL": "",
        "SURVEY_KEY": "bench-survey-key",
    }
    try:
        echo = await _idle_rss([sys.executable, "-c", ECHO], base)
        database = f"sqlite+aiosqlite:///{folder}/memory.db"
        xieshang = [sys.executable, "-m", "bot", "run"]
        first = await _idle_rss(xieshang, {**base, "DATABASE_URL": database})  # migrates
        bot = await _idle_rss(xieshang, {**base, "DATABASE_URL": database})  # as every day
    finally:
        await runner.cleanup()
    return [
        Row(
            "idle resident memory, `xieshang run` (polling, SQLite, schema current)",
            f"{bot:.0f} MiB",
            f"{echo:.0f} MiB (bare aiogram echo bot)",
            ratio(bot, echo),
            f"{SETTLE:.0f} s after start; the first start on a new database, which migrates "
            f"and so loads Alembic: {first:.0f} MiB",
            f"≤ {IDLE_TARGET}×",
        )
    ]


async def _answer_burst(port: int, token: str, workers: int) -> tuple[int, float]:
    """`workers` workers submit the demo survey through the Mini App at once; how many were
    refused, and the seconds it took."""
    import random
    import time

    from aiohttp import ClientSession

    from bot.emulator.server import sign_init_data

    rng = random.Random(21)
    gate = asyncio.Semaphore(BURST_CONCURRENCY)
    refused = 0

    async def one(session: ClientSession, n: int) -> None:
        nonlocal refused
        user = {"id": 6_000_000_000 + n, "first_name": "w", "language_code": "zh"}
        chosen = rng.sample(range(3), 2)
        body = {
            "init_data": sign_init_data(PLAYGROUND_TOKEN, user),
            "token": token,
            "answer": {"topics": chosen, "rank": chosen, "rise": rng.randint(0, 150),
                       "stratum": "frontline", "comment": ""},
        }  # fmt: skip
        async with (
            gate,
            session.post(f"http://127.0.0.1:{port}/app/api/survey/submit", json=body) as answered,
        ):
            await answered.read()
            refused += answered.status != 200

    started = time.perf_counter()
    async with ClientSession() as session:
        await asyncio.gather(*(one(session, n) for n in range(workers)))
    return refused, time.perf_counter() - started


async def after_burst(folder: Path, workers: int = BURST) -> list[Row]:
    """The bot with its Mini App, idle; then `workers` workers answer the demo survey at
    once (the shift meeting scanning the QR code); then idle again: resident memory before,
    at the end of the burst and once idle again (the housekeeping's trim has run)."""
    import sqlite3

    port, web_port = _port(), _port()
    _, runner = await start_emulator("127.0.0.1", port)
    database = folder / "burst.db"
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "REDIS_URL": "",
        "WEBHOOK_URL": "",
        "SURVEY_KEY": "bench-survey-key",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PUBLIC_URL": f"http://127.0.0.1:{web_port}",
        "WEBAPP_PORT": str(web_port),
        "HOUSEKEEPING_MINUTES": "1",
    }
    seeded = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", "seed", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await seeded.wait()
    with sqlite3.connect(database) as db:
        [(token,)] = db.execute("SELECT token FROM survey").fetchall()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.sleep(SETTLE)
        before = rss_mib(process.pid)
        refused, seconds = await _answer_burst(web_port, str(token), workers)
        peak = rss_mib(process.pid)
        await asyncio.sleep(75)  # a housekeeping round (every minute here) trims the heap
        after = rss_mib(process.pid)
    finally:
        process.terminate()
        await process.wait()
        await runner.cleanup()
    return [
        Row(
            f"resident memory after {workers:,} workers answer through the Mini App at once",
            f"{after:.0f} MiB (idle again)",
            f"{before:.0f} MiB (idle before)",
            ratio(after, before),
            f"{peak:.0f} MiB at the burst's end; {workers / seconds:.0f} answers/s, "
            f"{refused} refused; one process, SQLite",
            f"≤ {BURST_TARGET}×",
        )
    ]


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print_rows(await idle(Path(tmp)) + await after_burst(Path(tmp)))


if __name__ == "__main__":
    asyncio.run(_main())
