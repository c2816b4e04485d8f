"""Two `xieshang run` processes in webhook mode on one PostgreSQL and one Redis, behind the
emulator: one person's updates reach both (each update is delivered to one process, then
again to the other, as a load balancer retrying would). Every step is answered once, the
form moves on step by step across the processes, and nothing is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from asyncio.subprocess import Process
from typing import Any

import aiohttp
from sqlalchemy import text

from bot.playground import PLAYGROUND_TOKEN, start_emulator
from bot.testing.http import Person, text_of
from storage.db import Database
from tests.test_e2e_http import XIESHANG, cli, free_port

SECRET = "two-processes_secret"


async def _ready(port: int, seconds: float = 30.0) -> None:
    for _ in range(int(seconds * 10)):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


async def _deliver(session: aiohttp.ClientSession, port: int, update: dict[str, Any]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    url = f"http://127.0.0.1:{port}/webhook"
    async with session.post(url, json=update, headers=headers) as response:
        assert response.status == 200, await response.text()


def _button(person: Person, label: str) -> tuple[int, str]:
    for message in reversed(person.bot_messages()):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if label in button["text"]:
                    return message["message_id"], str(button["callback_data"])
    raise LookupError(label)


async def test_one_conversation_across_two_webhook_processes(postgres_url: str, redis_url: str):
    port = free_port()
    emulator, runner = await start_emulator("127.0.0.1", port)
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "WEBHOOK_URL": "https://bot.example.org",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "THROTTLE_RATE": "50",
    }
    cli(env, "org", "add", "洪山区总工会", "--level", "county")
    code = (
        cli(env, "invite", "--org", "洪山区总工会", "--role", "instructor").strip().splitlines()[-1]
    )
    ports = [free_port(), free_port()]
    processes: list[Process] = []
    for webhook_port in ports:
        processes.append(
            await asyncio.create_subprocess_exec(
                *XIESHANG,
                "run",
                env={**env, "WEBHOOK_PORT": str(webhook_port)},
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        )
    person = Person(emulator, 1301)
    try:
        for webhook_port in ports:
            await _ready(webhook_port)
        emulator.telegram.webhook.clear()  # the test delivers, to both processes
        steps: list[tuple[str, str]] = [
            ("text", f"/start {code}"),
            ("text", "赵强"),
            ("text", "13812345678"),
            ("text", "1970-03-15"),
            ("button", "直接聘用"),
            ("button", "跳过"),
            ("text", "青山区 & <化工>"),
            ("button", "提交"),
        ]
        async with aiohttp.ClientSession() as session:
            for index, (kind, value) in enumerate(steps):
                if kind == "text":
                    update = emulator.send_text(person.id, value)
                else:
                    message_id, data = _button(person, value)
                    update = emulator.click(person.id, message_id, data)
                first, second = ports if index % 2 == 0 else ports[::-1]
                # A snapshot of the chat: a pressed button's screen is edited in place.
                before = [text_of(m) for m in person.bot_messages()]
                await _deliver(session, first, update)
                answered = [text_of(m) for m in person.bot_messages()]
                await _deliver(session, second, update)  # the same update again
                assert answered != before, f"step {index} ({value}) got no answer"
                again = [text_of(m) for m in person.bot_messages()]
                assert again == answered, f"step {index} answered twice"
        assert "档案已保存" in text_of(person.bot_messages()[-1])
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()
        await runner.cleanup()

    db = Database(postgres_url)
    try:
        async with db.engine.connect() as connection:
            rows = (
                await connection.execute(text("SELECT name, phone, area FROM instructor_profile"))
            ).all()
    finally:
        await db.dispose()
    assert [tuple(r) for r in rows] == [("赵强", "13812345678", "青山区 & <化工>")]
    assert emulator.telegram.errors() == []
