"""The base of every repository, and ids that say nothing of when a row was written."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)


def random_id() -> int:
    """A row id that says nothing of when the row was written."""
    return secrets.randbelow(2**62) + 1


def dialect_insert(dialect: str, model: Any) -> Any:
    """An INSERT with the database's ON CONFLICT clauses (PostgreSQL's or SQLite's), taken
    from the dialect in use: importing PostgreSQL's on SQLite would load every PostgreSQL
    driver's dialect (about 2 MiB resident, for nothing)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(model)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model)


class Repo:
    """Queries and writes on the update's session; never a commit (storage/uow.py does)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def insert(self, model: Any) -> Any:
        """An INSERT with the ON CONFLICT clauses of the database in use (dialect_insert)."""
        return dialect_insert(self.session.get_bind().dialect.name, model)

    async def page_of(self, query: Any, offset: int, limit: int) -> tuple[Sequence[Any], int]:
        """A page of an ordered query's rows and how many it has in all: two statements,
        whatever the size of the table."""
        total = await self.session.execute(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(query.offset(offset).limit(limit))
        return rows.all(), int(total.scalar_one())

    async def counts_by(
        self, key: Any, status: Any, ids: Sequence[int]
    ) -> dict[int, dict[str, int]]:
        """For each of `ids`, how many rows have each `status`: one grouped query."""
        if not ids:
            return {}
        found = await self.session.execute(
            select(key, status, func.count()).where(key.in_(ids)).group_by(key, status)
        )
        counts: dict[int, dict[str, int]] = {}
        for row_id, value, n in found.all():
            counts.setdefault(int(row_id), {})[str(value)] = int(n)
        return counts


class ModelRepo(Repo, Generic[M]):
    """A repository of one table: `add` (flushed, so the row has its id) and `get` by id."""

    model: type[M]

    async def add(self, row: M) -> M:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, row_id: int) -> M | None:
        return await self.session.get(self.model, row_id)
