"""End to end over real HTTP: the emulator serves the Bot API on a local port and
`xieshang run` runs as a separate process against it, set up with the admin CLI."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from docx import Document

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


@asynccontextmanager
async def _running(
    tmp_path: Path, setup: Callable[[dict[str, str]], str]
) -> AsyncIterator[tuple[Emulator, str, Process]]:
    """The emulator on a free port and `xieshang run` against it, after `setup(env)`."""
    port = free_port()
    emulator, runner = await start_emulator("127.0.0.1", port)
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        "REDIS_URL": "",
        "WEBHOOK_URL": "",
        "THROTTLE_RATE": "50",  # the people here type faster than anyone could
    }
    value = setup(env)
    process = await asyncio.create_subprocess_exec(
        *XIESHANG, "run", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        yield emulator, value, process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
        await runner.cleanup()


def _unions(env: dict[str, str]) -> str:
    cli(env, "org", "add", "武汉市总工会", "--level", "city")
    cli(env, "org", "add", "洪山区总工会", "--level", "county", "--parent", "武汉市总工会")
    return cli(env, "invite", "--org", "武汉市总工会", "--role", "liaison").strip().splitlines()[-1]


def _demo(env: dict[str, str]) -> str:
    cli(env, "demo", "seed")
    database = env["DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(database) as connection:
        [(token,)] = connection.execute("SELECT token FROM survey").fetchall()
    return str(token)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[tuple[Emulator, str, Process]]:
    async with _running(tmp_path, _unions) as running:
        yield running


@pytest.fixture
async def demo_stack(tmp_path: Path) -> AsyncIterator[tuple[Emulator, str, Process]]:
    async with _running(tmp_path, _demo) as running:
        yield running


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


async def test_instructor_drafts_a_document_and_a_worker_answers_over_http(demo_stack):
    emulator, token, process = demo_stack
    instructor = Person(emulator, 1101)
    await instructor.say("/menu", "请选择")
    await instructor.press("我的案件", "光谷电子有限公司")
    await instructor.press("光谷电子有限公司", "协商中")
    await instructor.press("记录协商会议", "1/10")
    await instructor.press("昨天 14:00", "2/10")  # the real clock: "today" may be to come
    await instructor.say("光谷电子三楼会议室", "3/10")
    await instructor.say("5", "4/10")
    await instructor.say("5", "5/10")
    await instructor.press("是", "6/10")
    await instructor.say("张记录", "7/10")
    await instructor.say("加班费基数按全部工资计算 & <暂定>", "8/10")
    for step in ("9/10", "10/10", "请核对会议记录"):
        await instructor.press("跳过", step)
    await instructor.press("提交", "已保存第 2 轮")
    await instructor.say("/menu", "请选择")
    await instructor.press("我的案件", "光谷电子有限公司")
    await instructor.press("光谷电子有限公司", "协商中")
    await instructor.press("📄 文书", "选择要起草的文书")
    await instructor.press("报送材料清单", "报送哪个劳动行政部门")
    await instructor.say("洪山区人力资源和社会保障局", "联系人")
    await instructor.say("李明 13812345678", "协商过程说明")
    await instructor.say("代表经职代会选举产生 & <一轮协商>", "请核对")
    sent = await instructor.press("提交", "报送材料清单 第 1 版")
    stored = emulator.telegram.files[sent["document"]["file_id"]]
    text = "\n".join(p.text for p in Document(io.BytesIO(stored.content)).paragraphs)
    assert "洪山区人力资源和社会保障局" in text
    assert "代表经职代会选举产生 & <一轮协商>" in text

    worker = Person(emulator, 1201)
    await worker.say(f"/start {token}", "不会保存")
    await worker.press("开始作答", "关心哪些议题")
    await worker.press("▫️ 劳动报酬", "关心哪些议题")
    await worker.press("选好了", "期望今年工资增长")
    await worker.say("6.5", "岗位层级")
    await worker.press("一线职工", "想对工会说")
    await worker.press("跳过", "请确认")
    await worker.press("提交", "匿名保存")
    assert emulator.telegram.errors() == []

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 15) == 0
