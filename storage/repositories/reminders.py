"""Reminders (claimed with a lease by the ticks) and the duty calendar."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy import true as sa_true
from sqlmodel import col, select

from storage.models import (
    Duty,
    Reminder,
    ReminderStatus,
)
from storage.repositories.base import ModelRepo, Repo
from storage.repositories.outbox import Outbox, Outcome


class ReminderRepo(ModelRepo[Reminder]):
    model = Reminder

    async def upsert(self, reminder: Reminder) -> Reminder:
        """Create the reminder, or move a still-pending one with the same key to the new time."""
        existing = (
            (
                await self.session.execute(
                    select(Reminder).where(Reminder.idem_key == reminder.idem_key)
                )
            )
            .scalars()
            .first()
        )
        if existing is None:
            self.session.add(reminder)
            await self.session.flush()
            return reminder
        if existing.status in (ReminderStatus.pending, ReminderStatus.cancelled) and (
            existing.due_at != reminder.due_at or existing.status is ReminderStatus.cancelled
        ):
            existing.due_at = reminder.due_at
            existing.next_attempt_at = reminder.next_attempt_at
            existing.payload = reminder.payload
            existing.status = ReminderStatus.pending
            existing.attempts = 0
        return existing

    async def add_missing(self, planned: Sequence[Reminder]) -> int:
        """Store the planned reminders whose key is not stored yet: one read per 500 keys
        and one batched insert, so a tick planning for everyone holds the write lock
        briefly."""
        keys = [r.idem_key for r in planned]
        stored: set[str] = set()
        for start in range(0, len(keys), 500):
            stmt = select(Reminder.idem_key).where(
                col(Reminder.idem_key).in_(keys[start : start + 500])
            )
            stored.update((await self.session.execute(stmt)).scalars())
        missing = [r for r in planned if r.idem_key not in stored]
        self.session.add_all(missing)
        await self.session.flush()
        return len(missing)

    async def cancel_pending(self, key_prefix: str, keep: set[str]) -> int:
        stmt = (
            update(Reminder)
            .where(
                col(Reminder.idem_key).startswith(key_prefix),
                col(Reminder.status) == ReminderStatus.pending,
                col(Reminder.idem_key).not_in(keep) if keep else sa_true(),
            )
            .values(status=ReminderStatus.cancelled)
        )
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.session, Reminder, [Reminder.id])

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Reminder]:
        """Take up to `limit` due reminders for this process (storage/repositories/outbox.py)."""
        due = col(Reminder.next_attempt_at)
        taken = await self.outbox.claim(
            now, limit, where=[due <= now], order_by=[due], returning=[Reminder]
        )
        return sorted((row for (row,) in taken), key=lambda r: r.next_attempt_at)

    async def release_stale(self, claimed_before: datetime) -> int:
        """Claims whose process died before finishing go back to pending."""
        return await self.outbox.release_stale(claimed_before)

    async def record(
        self, reminder_id: int, outcome: Outcome, max_attempts: int, values: dict[str, Any]
    ) -> None:
        await self.outbox.record([reminder_id], outcome, max_attempts, values)

    async def personal_of(self, recipient_id: int, limit: int) -> Sequence[Reminder]:
        """A member's own reminders still to come, soonest first."""
        found = await self.session.execute(
            select(Reminder)
            .where(
                Reminder.recipient_id == recipient_id,
                Reminder.kind == "personal",
                col(Reminder.status).in_([ReminderStatus.pending, ReminderStatus.sending]),
            )
            .order_by(col(Reminder.due_at))
            .limit(limit)
        )
        return found.scalars().all()

    async def statuses(self, prefix: str, suffix: str) -> dict[str, ReminderStatus]:
        found = await self.session.execute(
            select(Reminder.idem_key, Reminder.status).where(
                col(Reminder.idem_key).startswith(prefix), col(Reminder.idem_key).endswith(suffix)
            )
        )
        return {str(key): ReminderStatus(status) for key, status in found.all()}

    async def of_recipient(
        self, recipient_id: int, start: datetime, end: datetime
    ) -> Sequence[Reminder]:
        found = await self.session.execute(
            select(Reminder)
            .where(
                Reminder.recipient_id == recipient_id,
                col(Reminder.due_at) >= start,
                col(Reminder.due_at) < end,
            )
            .order_by(col(Reminder.due_at))
        )
        return found.scalars().all()

    async def undone(
        self, recipient_id: int, since: datetime, before: datetime
    ) -> Sequence[Reminder]:
        """Delivered in the window and not marked done (snoozed ones count as handled)."""
        found = await self.session.execute(
            select(Reminder)
            .where(
                Reminder.recipient_id == recipient_id,
                col(Reminder.status) == ReminderStatus.sent,
                col(Reminder.done_at).is_(None),
                col(Reminder.due_at) >= since,
                col(Reminder.due_at) < before,
            )
            .order_by(col(Reminder.due_at))
        )
        return found.scalars().all()


class DutyRepo(Repo):
    async def add_all(self, duties: Sequence[Duty]) -> None:
        """One batched insert (the first tick creates two duties per instructor)."""
        self.session.add_all(duties)
        await self.session.flush()

    async def all(self) -> Sequence[Duty]:
        return (await self.session.execute(select(Duty))).scalars().all()

    async def due(self, before: datetime) -> Sequence[Duty]:
        """Active duties whose next occurrence is unknown or comes before `before`."""
        found = await self.session.execute(
            select(Duty).where(
                col(Duty.active).is_(True),
                or_(col(Duty.next_at).is_(None), col(Duty.next_at) <= before),
            )
        )
        return found.scalars().all()
