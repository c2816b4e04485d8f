"""The web chat in a real browser: headless Chromium (Debian's) driven by Playwright opens
the playground, sends /menu as the demo liaison, presses a button, and saves a screenshot."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.conftest import REQUIRED
from tests.test_e2e_http import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_available() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        if REQUIRED:
            pytest.fail("playwright must be installed in CI")
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if REQUIRED:
            pytest.fail("chromium must be installed in CI")
        pytest.skip("Debian's chromium is not installed")


async def _wait_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port}")


async def _demo_survey_token(database: Path, seconds: float = 30.0) -> str:
    """The demo survey's link token, once the playground has seeded its database."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(database) as db:
                found = db.execute("SELECT token FROM survey").fetchall()
            if found:
                return str(found[0][0])
        except sqlite3.OperationalError:  # not migrated yet
            pass
        await asyncio.sleep(0.3)
    raise TimeoutError("the playground made no demo survey")


@asynccontextmanager
async def _playground(tmp_path: Path) -> AsyncIterator[int]:
    """The playground (`xieshang playground`) on a free port; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "PLAYGROUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'playground.db'}",
        "SURVEY_KEY_FILE": str(tmp_path / "survey.key"),
        "BOT_TOKEN": "",
        "REDIS_URL": "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await _wait_port(port)
        yield port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode == 0


async def test_web_chat_in_chromium(tmp_path: Path, artifacts: Path):
    _browser_available()
    from playwright.async_api import async_playwright

    async with _playground(tmp_path) as port, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 400, "height": 780})
        await page.goto(f"http://127.0.0.1:{port}/?persona=1001")
        await page.fill("#text", "/menu")
        await page.keyboard.press("Enter")
        button = page.get_by_role("button", name="➕ 邀请成员")
        await button.wait_for(timeout=20_000)
        await button.click()
        await page.get_by_text("要邀请谁加入").wait_for(timeout=20_000)
        await page.get_by_role("button", name="指导员").click()
        await page.get_by_text("洪山区总工会").first.wait_for(timeout=20_000)
        await page.screenshot(path=str(artifacts / "webchat.png"), full_page=True)
        await browser.close()
    assert (artifacts / "webchat.png").stat().st_size > 5_000


async def test_a_worker_answers_the_survey_in_the_mini_app(tmp_path: Path, artifacts: Path):
    """The demo worker opens the survey's link in the web chat, taps 📱, answers every
    question on one page in the overlay (initData signed by the emulator as Telegram does)
    and submits: the answer counts, and the bot sent no message per question."""
    _browser_available()
    from playwright.async_api import async_playwright

    async with _playground(tmp_path) as port, async_playwright() as p:
        token = await _demo_survey_token(tmp_path / "playground.db")
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"http://127.0.0.1:{port}/?persona=1201")
        await page.fill("#text", f"/start {token}")
        await page.keyboard.press("Enter")
        open_page = page.get_by_role("button", name="📱 在一页中作答（推荐）")
        await open_page.wait_for(timeout=20_000)
        await open_page.click()
        app = page.frame_locator("#webapp")
        await app.get_by_role("button", name="劳动报酬").first.click(timeout=20_000)
        await app.get_by_role("button", name="工作时间").first.click()
        await app.locator("#rankbox button").nth(1).click()
        await app.locator("#rankbox button").nth(0).click()
        await app.locator("input[type=range]").fill("80")
        await app.get_by_role("button", name="一线职工").click()
        await page.screenshot(path=str(artifacts / "miniapp-survey.png"))
        await app.locator("#submit").click()
        await app.get_by_text("谢谢").wait_for(timeout=20_000)
        await page.screenshot(path=str(artifacts / "miniapp-thanks.png"))
        await browser.close()
        with sqlite3.connect(tmp_path / "playground.db") as db:
            [(pending,)] = db.execute("SELECT count(*) FROM survey_pending").fetchall()
            [(released,)] = db.execute("SELECT count(*) FROM survey_answer").fetchall()
    assert pending + released == 12  # the demo's eleven and this one


async def test_a_liaison_uses_the_dashboard(tmp_path: Path, artifacts: Path):
    """The demo liaison gives a task in the web chat, then opens 📊 看板 from the menu: the
    cases of the union's subtree as a table, filtered by stage and ordered, inside the
    overlay; the roster, the assessment, a survey's results, the task's ledger; exports."""
    _browser_available()
    from playwright.async_api import async_playwright

    async with _playground(tmp_path) as port, async_playwright() as p:
        await _demo_survey_token(tmp_path / "playground.db")  # the demo is seeded
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"http://127.0.0.1:{port}/?persona=1001")
        await page.fill("#text", "/menu")
        await page.keyboard.press("Enter")
        # A task for the union's instructors, given in the chat, for the tasks tab.
        for press in ("📌 派遣任务", "➕ 新任务", "协商", "跳过"):
            await page.get_by_role("button", name=press).last.click(timeout=20_000)
            await asyncio.sleep(0.3)
        for typed in ("12月10日", "请汇总光谷电子职工意见"):
            await page.get_by_text("（", exact=False).last.wait_for(timeout=20_000)
            await page.fill("#text", typed)
            await page.keyboard.press("Enter")
            await asyncio.sleep(0.6)
        await page.get_by_role("button", name="本工会及下级工会的全部指导员").last.click()
        await page.get_by_role("button", name="✅ 提交").last.click(timeout=20_000)
        await page.get_by_text("任务已派出").wait_for(timeout=20_000)
        await page.fill("#text", "/menu")
        await page.keyboard.press("Enter")
        board = page.get_by_role("button", name="📊 看板")
        await board.wait_for(timeout=20_000)
        await board.click()
        app = page.frame_locator("#webapp")
        await app.get_by_text("光谷电子有限公司").wait_for(timeout=20_000)
        await app.get_by_text("共 1 件").wait_for()
        await page.screenshot(path=str(artifacts / "dashboard.png"))
        await app.locator("#stage").select_option("draft")
        await app.get_by_text("没有符合条件的案件").wait_for(timeout=20_000)
        await app.locator("#stage").select_option("negotiating")
        await app.get_by_text("光谷电子有限公司").wait_for(timeout=20_000)
        await app.locator("#order").select_option("stage")
        await app.get_by_text("共 1 件").wait_for()
        # The roster tab: the union's instructors.
        await app.get_by_role("button", name="名册").click()
        await app.locator("#r-rows").get_by_text("李明").wait_for(timeout=20_000)
        await page.screenshot(path=str(artifacts / "dashboard-roster.png"))
        # The assessment tab: the year's ranking.
        await app.get_by_role("button", name="考核").click()
        await app.locator("#a-rows").get_by_text("李明").wait_for(timeout=20_000)
        await page.screenshot(path=str(artifacts / "dashboard-assessment.png"))
        # The surveys tab: the demo survey's results with the chart.
        await app.get_by_role("button", name="问卷").click()
        await app.locator("#s-rows tr").first.click(timeout=20_000)
        await app.locator("#s-result img").wait_for(timeout=20_000)
        await page.screenshot(path=str(artifacts / "dashboard-survey.png"))
        # The tasks tab: the task just given, its ledger, and the ledger's workbook.
        await app.get_by_role("button", name="任务").click()
        await app.locator("#t-rows").get_by_text("请汇总光谷电子职工意见").click(timeout=20_000)
        await app.locator("#t-people").get_by_text("李明").wait_for(timeout=20_000)
        await app.locator("#t-export").click()
        await app.get_by_text("已把这项任务的台账（2 人）发到聊天里").wait_for(timeout=20_000)
        await page.screenshot(path=str(artifacts / "dashboard-tasks.png"))
        await app.get_by_role("button", name="案件").click()
        # Export: the same cases as a workbook, in the liaison's chat.
        await app.get_by_role("button", name="📥 导出 Excel").click()
        await app.get_by_text("已把 1 件案件的表格发到聊天里").wait_for(timeout=20_000)
        await page.locator("#closeapp").click()
        await page.get_by_text("辖区案件.xlsx").wait_for(timeout=20_000)
        await browser.close()


async def test_forged_init_data_is_refused_in_the_browser(tmp_path: Path, artifacts: Path):
    """The Mini App's pages opened outside Telegram with initData someone made up (a user
    id and a hash the bot's token never signed): the survey says so and offers nothing to
    answer; the dashboard signs nobody in and shows no table."""
    _browser_available()
    from urllib.parse import quote

    from playwright.async_api import async_playwright

    forged = quote('user={"id":1001,"first_name":"王芳"}&auth_date=1999999999&hash=' + "0" * 64)
    async with _playground(tmp_path) as port, async_playwright() as p:
        token = await _demo_survey_token(tmp_path / "playground.db")
        await _wait_port(port + 2)
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"http://127.0.0.1:{port + 2}/app/survey?t={token}#tgWebAppData={forged}")
        await page.get_by_text("无法确认这个页面来自 Telegram").wait_for(timeout=20_000)
        assert not await page.locator("#submit").is_visible()  # nothing to answer
        assert await page.get_by_role("button", name="劳动报酬").count() == 0
        await page.goto(f"http://127.0.0.1:{port + 2}/app/board#tgWebAppData={forged}")
        await page.get_by_text("请从机器人菜单里的“📊 看板”打开").wait_for(timeout=20_000)
        assert await page.locator("#rows tr").count() == 0
        await page.screenshot(path=str(artifacts / "dashboard-forged.png"))
        await browser.close()
