"""The base of every repository, and ids that say nothing of when a row was written."""

from __future__ import annotations

import secrets
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)


def random_id() -> int:
    """A row id that says nothing of when the row was written."""
    return secrets.randbelow(2**62) + 1


class Repo:
    """Queries and writes on the update's session; never a commit (storage/uow.py does)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class ModelRepo(Repo, Generic[M]):
    """A repository of one table: `add` (flushed, so the row has its id) and `get` by id."""

    model: type[M]

    async def add(self, row: M) -> M:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, row_id: int) -> M | None:
        return await self.session.get(self.model, row_id)
