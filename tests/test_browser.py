"""The web chat in a real browser: headless Chromium (Debian's) driven by Playwright opens
the playground, sends /menu as the demo liaison, presses a button, and saves a screenshot."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
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


async def test_web_chat_in_chromium(tmp_path: Path, artifacts: Path):
    _browser_available()
    from playwright.async_api import async_playwright

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
        async with async_playwright() as p:
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
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert (artifacts / "webchat.png").stat().st_size > 5_000
