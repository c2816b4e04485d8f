"""Migrations: every revision goes up, down and up again (the stairway), on SQLite and
PostgreSQL, and head matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage import migrate
from storage.db import Database


async def _fresh(url: str) -> Database:
    db = Database(url)
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    return db


async def test_stairway(tmp_path, request):
    urls = [f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"]
    from tests.conftest import POSTGRES_URL, REQUIRED

    if POSTGRES_URL:
        urls.append(POSTGRES_URL)
    elif REQUIRED:
        raise AssertionError("TEST_POSTGRES_URL must be set")
    for url in urls:
        db = await _fresh(url)
        try:
            assert await migrate.applied(db.engine) is None  # read without Alembic
            assert migrate.head() == migrate.revisions()[-1]  # the files' names agree
            previous = "base"
            for revision in migrate.revisions():
                await migrate.upgrade(db.engine, revision)
                await migrate.downgrade(db.engine, previous)
                await migrate.upgrade(db.engine, revision)
                assert await migrate.current(db.engine) == revision
                assert await migrate.applied(db.engine) == revision
                previous = revision
            assert await migrate.is_current(db.engine)
        finally:
            await db.dispose()
    # Leave PostgreSQL for the other tests to rebuild.
    import tests.conftest as conftest

    conftest._pg_ready = False


async def test_head_matches_models(any_db_url):
    db = Database(any_db_url)
    try:
        async with db.engine.connect() as conn:

            def diff(sync_conn):
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(context, SQLModel.metadata)

            assert await conn.run_sync(diff) == []
    finally:
        await db.dispose()
