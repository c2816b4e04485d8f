"""Crash tests: `xieshang run` is killed with SIGKILL at a random moment in the middle of a
form, restarted, and the person carries on. The form must resume at its step with every
answer kept, and each answer be taken once (the update id is recorded with its effects).
CRASH_TRIALS sets the number of kills (CI runs a few; `CRASH_TRIALS=20` for the full run)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sqlite3
from asyncio.subprocess import Process
from pathlib import Path

from bot.playground import PLAYGROUND_TOKEN, start_emulator
from bot.testing.http import Person, text_of
from tests.test_e2e_http import XIESHANG, cli, free_port

TRIALS = int(os.environ.get("CRASH_TRIALS", "3"))
ANSWERS = {1: "赵强", 2: "13812345678", 3: "1970-03-15", 5: None, 6: "青山区 & <化工>"}


async def start_bot(env: dict[str, str]) -> Process:
    return await asyncio.create_subprocess_exec(
        *XIESHANG,
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _step(person: Person) -> int:
    """The profile step the bot last asked for (1–6), or 7 for the review."""
    for message in reversed(person.bot_messages()):
        text = text_of(message)
        if "请核对" in text:
            return 7
        found = re.search(r"(\d)/6", text)
        if found:
            return int(found.group(1))
    return 0


async def _answer(person: Person, step: int) -> None:
    """Give the answer for `step`, whatever happens to the bot meanwhile."""
    if step == 4:
        message, data = await person._button("直接聘用", 15)
        person.emulator.click(person.id, message["message_id"], data)
    elif step == 5:
        message, data = await person._button("跳过", 15)
        person.emulator.click(person.id, message["message_id"], data)
    else:
        person.emulator.send_text(person.id, str(ANSWERS[step]))


def _seen(person: Person) -> list[str]:
    return [text_of(message) for message in person.bot_messages()]


async def _reply(person: Person, before: list[str]) -> None:
    """Wait until the bot has written something new to `person`, or changed a message in
    place (a pressed button's screen is edited, not sent anew)."""
    for _ in range(600):
        if _seen(person) != before:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("no reply")


async def test_a_form_survives_kill_9_at_random_moments(tmp_path: Path):
    port = free_port()
    emulator, runner = await start_emulator("127.0.0.1", port)
    database = tmp_path / "crash.db"
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "REDIS_URL": "",
        "WEBHOOK_URL": "",
        "THROTTLE_RATE": "50",
    }
    cli(env, "org", "add", "洪山区总工会", "--level", "county")
    rng = random.Random(2026)
    process = await start_bot(env)
    kills, people = 0, 0
    try:
        while kills < TRIALS:  # one form per person, a kill after each answer
            code = cli(env, "invite", "--org", "洪山区总工会", "--role", "instructor")
            person = Person(emulator, 1400 + people)
            emulator.persona(person.id, f"新指导员{people}")
            people += 1
            await person.say(f"/start {code.strip().splitlines()[-1]}", "1/6", seconds=30)
            while _step(person) != 7:
                if "已经过期" in text_of(person.bot_messages()[-1]):
                    # A press redelivered after the kill moved the form on in the message it
                    # was on, above the question /menu showed: /menu shows where it is now.
                    await person.say("/menu", "您还有一项未完成的填写", seconds=30)
                before = _seen(person)
                await _answer(person, _step(person))
                if kills < TRIALS:
                    await asyncio.sleep(rng.uniform(0.0, 0.4))  # somewhere in the handling
                    process.send_signal(signal.SIGKILL)
                    await process.wait()
                    kills += 1
                    process = await start_bot(env)
                    await person.say("/menu", "您还有一项未完成的填写", seconds=30)
                else:
                    await _reply(person, before)
            await person.press("提交", "档案已保存", seconds=30)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        await runner.cleanup()

    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT name, phone, birth_date, hiring_route, certificate_no, area "
            "FROM instructor_profile"
        ).fetchall()
    assert (
        rows == [("赵强", "13812345678", "1970-03-15", "direct", None, "青山区 & <化工>")] * people
    )
    assert emulator.telegram.errors() == []
