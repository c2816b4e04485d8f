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


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print_rows(await idle(Path(tmp)))


if __name__ == "__main__":
    asyncio.run(_main())
