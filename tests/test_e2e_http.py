"""End to end over real HTTP: the emulator serves the Bot API on a local port and
`xieshang run` runs as a separate process against it, set up with the admin CLI."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator.server import Emulator
from bot.playground import PLAYGROUND_TOKEN, start_emulator
from bot.testing.http import Person

XIESHANG = [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [*XIESHANG, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[tuple[Emulator, str, Process]]:
    port = free_port()
    emulator, runner = await start_emulator("127.0.0.1", port)
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        "REDIS_URL": "",
        "WEBHOOK_URL": "",
    }
    cli(env, "org", "add", "武汉市总工会", "--level", "city")
    cli(env, "org", "add", "洪山区总工会", "--level", "county", "--parent", "武汉市总工会")
    code = cli(env, "invite", "--org", "武汉市总工会", "--role", "liaison").strip().splitlines()[-1]
    process = await asyncio.create_subprocess_exec(
        *XIESHANG, "run", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    yield emulator, code, process
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
    await runner.cleanup()


async def test_liaison_invites_and_instructor_registers_over_http(stack):
    emulator, code, process = stack
    liaison = Person(emulator, 1001)
    await liaison.say(f"/start {code}", "工会联络员")
    await liaison.press("邀请成员", "要邀请谁")
    await liaison.press("指导员", "属于哪个工会")
    invite = await liaison.press("洪山区总工会", "?start=")
    instructor_code = invite["text"].split("?start=")[1].split()[0]

    instructor = Person(emulator, 1301)
    await instructor.say(f"/start {instructor_code}", "1/6")
    await instructor.say("x", "姓名需要")
    await instructor.say("赵强", "2/6")
    await instructor.say("13812345678", "3/6")
    await instructor.say("1966-02-28", "4/6")
    await instructor.press("工会社会工作者岗位", "5/6")
    await instructor.press("跳过", "6/6")
    await instructor.say("青山区 & <化工>", "请核对")
    await instructor.press("提交", "档案已保存")

    # The command menus were set for each member's chat.
    assert any('"chat_id": 1301' in key for key in emulator.telegram.commands)
    assert emulator.telegram.errors() == []

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 15) == 0
