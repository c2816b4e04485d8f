"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)

    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows are overwritten with zeros, not left in free pages (survey voters).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return engine


# Tables whose deleted rows must not linger in the database files (who answered a survey,
# unfinished and pending answers; who held a congress seat, and the sealed ballots).
SCRUBBED_TABLES = (
    "survey_voter",
    "survey_draft",
    "survey_pending",
    "congress_seat",
    "congress_ballot",
)


async def scrub(engine: AsyncEngine) -> None:
    """After deleting who answered: SQLite copies the WAL into the database (where
    secure_delete has zeroed the deleted rows) and truncates it, so no old page stays in the
    -wal file; PostgreSQL rewrites the tables (VACUUM FULL), so their files hold no dead
    rows. PostgreSQL's own WAL segments keep old records until they are recycled; the rows
    there are keyed hashes and sealed answers, meaningless without the survey key."""
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            elif engine.dialect.name == "postgresql":
                auto = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await auto.exec_driver_sql("VACUUM FULL " + ", ".join(SCRUBBED_TABLES))
    except Exception:  # scrubbing is best effort; the next close or housekeeping retries
        log.exception("could not scrub the database files")


async def optimize(engine: AsyncEngine) -> None:
    """Keep the query planner's statistics: SQLite has none until ANALYZE, and without
    them it sorts a whole subtree for a page instead of reading the list's index (then
    `PRAGMA optimize` refreshes what changed). PostgreSQL's autovacuum does this itself."""
    if engine.dialect.name != "sqlite":
        return
    try:
        async with engine.connect() as connection:
            found = await connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
            )
            command = "PRAGMA optimize" if found.first() else "ANALYZE"
            await connection.exec_driver_sql(command)
            await connection.commit()
    except Exception:  # statistics are an optimisation; the next tick retries
        log.exception("could not refresh the query planner's statistics")


class Database:
    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self.engine.dispose()

    def session(self) -> AsyncSession:
        return self.sessions()
