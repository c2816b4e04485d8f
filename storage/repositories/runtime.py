"""What the bot itself keeps: handled update ids and form (FSM) state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    FsmRecord,
    ProcessedUpdate,
    WebAppSignIn,
)
from storage.repositories.base import Repo


class FirstTime(Repo):
    async def first(self, model: type[Any], key: str, values: dict[str, Any]) -> bool:
        """Insert the row unless its key is there already, in this transaction: True the
        first time, False after (on either database, concurrent callers included)."""
        stmt = self.insert(model).values(**values).on_conflict_do_nothing(index_elements=[key])
        result = await self.session.execute(stmt)
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


class UpdateLogRepo(FirstTime):
    async def claim(self, update_id: int, at: datetime) -> bool:
        """Record the update id in this transaction; False when it was handled before."""
        values = {"update_id": update_id, "processed_at": at}
        return await self.first(ProcessedUpdate, "update_id", values)

    async def prune(self, before: datetime) -> None:
        await self.session.execute(
            delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
        )

    async def last(self) -> int:
        """The highest update id handled (0: none)."""
        found = await self.session.execute(select(func.max(col(ProcessedUpdate.update_id))))
        return int(found.scalar_one() or 0)


class SignInRepo(FirstTime):
    async def claim(self, digest: str, expires_at: datetime) -> bool:
        """Record a Mini App sign-in; False when the same one was used before (a replay)."""
        values = {"digest": digest, "expires_at": expires_at}
        return await self.first(WebAppSignIn, "digest", values)

    async def prune(self, now: datetime) -> None:
        await self.session.execute(delete(WebAppSignIn).where(col(WebAppSignIn.expires_at) < now))


class FsmRepo(Repo):
    """Form state by key. A step reads its state several times (filters, get_data,
    update_data); the records read are held here for the unit of work, absent ones too,
    so each key costs one query. (The session's identity map holds objects weakly.)"""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._held: dict[str, FsmRecord | None] = {}

    async def get(self, key: str) -> FsmRecord | None:
        if key not in self._held:
            self._held[key] = await self.session.get(FsmRecord, key)
        return self._held[key]

    def forget(self) -> None:
        self._held.clear()

    async def put(self, key: str, at: datetime, **values: object) -> None:
        record = await self.get(key)
        if record is None:
            record = FsmRecord(key=key, updated_at=at)
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_at = at
        if record.state is None and not record.data:
            if record in self.session:
                await self.session.delete(record)
            self._held[key] = None
        else:
            self.session.add(record)
            self._held[key] = record
        await self.session.flush()
