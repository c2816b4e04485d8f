"""The outbox: rows handed to one process at a time under a lease, then recorded.

Reminders and broadcast deliveries are sent by whichever process's tick claims them first:
- `claim` takes up to `limit` pending rows and marks them sending, in one statement. On
  PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED, so two processes never
  take the same row; on SQLite the single writer makes the UPDATE ... RETURNING atomic.
- `release_stale` gives back the claims of a process that died before recording them.
- `record` writes how each send went, only on rows still claimed, with the one retry rule:
  a failure is retried until `max_attempts` failures, then the row is failed for good.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, tuple_, update
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select


class Outcome(StrEnum):
    sent = "sent"
    blocked = "blocked"  # the recipient blocked the bot: never retried
    failed = "failed"  # retried until the attempts run out


class Outbox:
    """The lease on one table: its key columns and its status, claim and attempt columns."""

    def __init__(
        self,
        session: AsyncSession,
        model: type[SQLModel],
        key: Sequence[Any],
        pending: str = "pending",
        sending: str = "sending",
    ) -> None:
        self.session = session
        self.model = model
        self.key = [col(k) for k in key]
        self.status = col(model.status)  # type: ignore[attr-defined]
        self.claimed_at = col(model.claimed_at)  # type: ignore[attr-defined]
        self.attempts = col(model.attempts)  # type: ignore[attr-defined]
        self.pending, self.sending = pending, sending

    def _key(self) -> Any:
        return self.key[0] if len(self.key) == 1 else tuple_(*self.key)

    async def claim(
        self,
        now: datetime,
        limit: int,
        *,
        where: Iterable[ColumnElement[bool]] = (),
        order_by: Iterable[Any] = (),
        join: tuple[type[SQLModel], ColumnElement[bool]] | None = None,
        returning: Sequence[Any] = (),
    ) -> list[tuple[Any, ...]]:
        """Take up to `limit` pending rows (those `where` also allows, in `order_by` order);
        of each row taken, its key, or what `returning` names (the whole row, say)."""
        candidates = select(*self.key)
        if join is not None:
            candidates = candidates.join(*join)
        candidates = (
            candidates.where(self.status == self.pending, *where).order_by(*order_by).limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(of=self.model, skip_locked=True)
        # Only the key: a status test here would let SQLite scan every pending row through
        # the status index instead of looking the candidates up by key.
        chosen = candidates.scalar_subquery() if len(self.key) == 1 else candidates
        taken = await self.session.execute(
            update(self.model)
            .where(self._key().in_(chosen))
            .values({self.status: self.sending, self.claimed_at: now})
            .returning(*(returning or self.key))
            .execution_options(synchronize_session=False)
        )
        return [tuple(row) for row in taken.all()]

    async def release_stale(self, claimed_before: datetime) -> int:
        """Claims older than the lease go back to pending (their process died)."""
        done = await self.session.execute(
            update(self.model)
            .where(self.status == self.sending, self.claimed_at < claimed_before)
            .values({self.status: self.pending, self.claimed_at: None})
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    async def record(
        self,
        keys: Sequence[Any],
        outcome: Outcome,
        max_attempts: int,
        values: dict[str, Any] | None = None,
    ) -> None:
        """Record one outcome for the rows with these keys that are still claimed; `values`
        adds columns (when it was sent, when to retry)."""
        if not keys:
            return
        changes: dict[Any, Any] = {self.claimed_at: None}
        if outcome is Outcome.failed:
            tries = self.attempts + 1
            changes[self.attempts] = tries
            # The retry rule: failed for good once this failure makes `max_attempts`.
            changes[self.status] = when((tries >= max_attempts, "failed"), else_=self.pending)
        else:
            changes[self.status] = outcome.value
        for name, value in (values or {}).items():
            changes[col(getattr(self.model, name))] = value
        await self.session.execute(
            update(self.model)
            .where(self._key().in_(list(keys)), self.status == self.sending)
            .values(changes)
            .execution_options(synchronize_session=False)
        )
