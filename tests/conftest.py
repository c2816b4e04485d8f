"""Fixtures: settings on a fresh SQLite file (migrated once, copied per test), PostgreSQL and
Redis when TEST_POSTGRES_URL / TEST_REDIS_URL are set (required when
XIESHANG_REQUIRE_SERVICES=1, as in CI), and the conversation harness."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.clock import FrozenClock
from bot.settings import Settings
from bot.testing import Harness
from storage import migrate
from storage.db import Database

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
REQUIRED = os.environ.get("XIESHANG_REQUIRE_SERVICES") == "1"


def need(url: str | None, name: str) -> str:
    if url:
        return url
    if REQUIRED:
        pytest.fail(f"{name} must be set when XIESHANG_REQUIRE_SERVICES=1")
    pytest.skip(f"{name} is not set: the {name.split('_')[1].lower()} variant is skipped")


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "bot_token": None,
        "redis_url": None,
        "webhook_url": None,
        "throttle_rate": 1000.0,
        "throttle_burst": 1000,
        # Flow control at Telegram's pace would make every test wait; tests/test_flow.py
        # sets the real budgets.
        "sender_global_rate": 1000.0,
        "sender_chat_rate": 1000.0,
        "sender_chat_burst": 1000,
        "survey_key": "test-survey-key-kept-outside-the-database",
        # No PDF copies unless a test brings its own converter, whatever the machine has
        # installed (LibreOffice on the PATH would otherwise change what the tests see).
        "libreoffice": "/nonexistent/soffice-pinned-off-in-tests",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(db.engine)
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "xieshang.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


_pg_ready = False


async def _reset_postgres(url: str) -> None:
    global _pg_ready
    db = Database(url)
    try:
        if not _pg_ready:
            async with db.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await migrate.upgrade(db.engine)
            _pg_ready = True
        async with db.engine.begin() as conn:
            tables = (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            ).scalars()
            names = ", ".join(f'"{t}"' for t in tables)
            if names:
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


@pytest.fixture
async def postgres_url() -> str:
    url = need(POSTGRES_URL, "TEST_POSTGRES_URL")
    await _reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
async def any_db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url = need(POSTGRES_URL, "TEST_POSTGRES_URL")
    await _reset_postgres(url)
    return url


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    url = need(REDIS_URL, "TEST_REDIS_URL")
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    await client.flushdb()
    yield url
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url)


@pytest.fixture
async def harness(settings: Settings, clock: FrozenClock) -> AsyncIterator[Harness]:
    h = await Harness.start(settings, clock, migrate=False)
    yield h
    await h.close()


@pytest.fixture
def artifacts() -> Path:
    path = Path("test-artifacts")
    path.mkdir(exist_ok=True)
    return path
