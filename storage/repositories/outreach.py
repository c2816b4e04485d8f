"""Broadcasts (deliveries claimed with a lease) and assigned tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, insert, tuple_
from sqlmodel import col, select

from storage.models import (
    Assignment,
    AssignmentRecipient,
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
    Org,
    RecipientStatus,
    User,
)
from storage.repositories.base import ModelRepo
from storage.repositories.outbox import Outbox, Outcome


@dataclass(frozen=True)
class BroadcastJob:
    """One claimed delivery of a broadcast: to whom, in which language, what."""

    broadcast_id: int
    user_id: int
    telegram_id: int
    locale: str
    text: str


class BroadcastRepo(ModelRepo[Broadcast]):
    model = Broadcast

    async def add_deliveries(self, broadcast_id: int, user_ids: Sequence[int]) -> None:
        if user_ids:
            await self.session.execute(
                insert(BroadcastDelivery),
                [{"broadcast_id": broadcast_id, "user_id": uid} for uid in user_ids],
            )

    async def of_author(self, user_id: int) -> Sequence[Broadcast]:
        found = await self.session.execute(
            select(Broadcast)
            .where(Broadcast.created_by_id == user_id)
            .order_by(col(Broadcast.id).desc())
            .limit(10)
        )
        return found.scalars().all()

    async def page_in_subtree(
        self, path_prefix: str, offset: int, limit: int
    ) -> tuple[list[tuple[Broadcast, str]], int]:
        """The notices to a subtree's unions, newest first, with their authors' names: a
        page and the count."""
        query = (
            select(Broadcast, User.display_name)
            .join(Org, col(Org.id) == col(Broadcast.org_id))
            .join(User, col(User.id) == col(Broadcast.created_by_id))
            .where(col(Org.path).startswith(path_prefix))
            .order_by(col(Broadcast.id).desc())
        )
        rows, total = await self.page_of(query, offset, limit)
        return [(b, str(name)) for b, name in rows], total

    async def counts_of(self, broadcast_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """Each notice's deliveries by status, in one grouped query."""
        delivery = BroadcastDelivery
        return await self.counts_by(col(delivery.broadcast_id), col(delivery.status), broadcast_ids)

    async def undelivered(
        self, broadcast_id: int, offset: int, limit: int
    ) -> tuple[list[tuple[User, BroadcastDelivery]], int]:
        """Who a notice did not reach (failed, or the bot blocked), by name: a page and
        the count."""
        query = (
            select(User, BroadcastDelivery)
            .join(BroadcastDelivery, col(BroadcastDelivery.user_id) == col(User.id))
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                col(BroadcastDelivery.status).in_([DeliveryStatus.failed, DeliveryStatus.blocked]),
            )
            .order_by(col(User.display_name), col(User.id))
        )
        rows, total = await self.page_of(query, offset, limit)
        return [(u, d) for u, d in rows], total

    async def sending(self) -> Sequence[Broadcast]:
        found = await self.session.execute(
            select(Broadcast).where(col(Broadcast.status) == BroadcastStatus.sending)
        )
        return found.scalars().all()

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        found = await self.session.execute(
            select(BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .group_by(col(BroadcastDelivery.status))
        )
        return {str(status): int(n) for status, n in found.all()}

    @property
    def outbox(self) -> Outbox:
        key = [BroadcastDelivery.broadcast_id, BroadcastDelivery.user_id]
        return Outbox(self.session, BroadcastDelivery, key)

    async def release_stale(self, claimed_before: datetime) -> None:
        await self.outbox.release_stale(claimed_before)

    async def claim(self, now: datetime, limit: int) -> list[BroadcastJob]:
        """Take up to `limit` pending deliveries of broadcasts being sent, in order; rows
        another process holds are skipped (storage/repositories/outbox.py)."""
        taken = await self.outbox.claim(
            now,
            limit,
            join=(Broadcast, col(Broadcast.id) == col(BroadcastDelivery.broadcast_id)),
            where=[col(Broadcast.status) == BroadcastStatus.sending],
            order_by=[col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id)],
        )
        if not taken:
            return []
        key = tuple_(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id))
        found = await self.session.execute(
            select(BroadcastDelivery.broadcast_id, User, Broadcast.text)
            .join(User, col(User.id) == col(BroadcastDelivery.user_id))
            .join(Broadcast, col(Broadcast.id) == col(BroadcastDelivery.broadcast_id))
            .where(key.in_(taken))
            .order_by(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id))
        )
        return [
            BroadcastJob(int(b), user.id or 0, user.telegram_id, user.locale, str(text))
            for b, user, text in found.all()
        ]

    async def record_many(
        self, outcomes: Sequence[tuple[int, int, str]], now: datetime, max_attempts: int
    ) -> None:
        """Record many sends at once: one UPDATE per outcome, only on rows still claimed."""
        for outcome in Outcome:
            keys = [(b, u) for b, u, o in outcomes if o == outcome.value]
            values = {"sent_at": now} if outcome is Outcome.sent else {}
            await self.outbox.record(keys, outcome, max_attempts, values)


class AssignmentRepo(ModelRepo[Assignment]):
    model = Assignment

    async def add_recipient(self, line: AssignmentRecipient) -> None:
        self.session.add(line)
        await self.session.flush()

    async def line(self, assignment_id: int, user_id: int) -> AssignmentRecipient | None:
        return await self.session.get(AssignmentRecipient, (assignment_id, user_id))

    async def lines(self, assignment_id: int) -> list[tuple[User, AssignmentRecipient]]:
        found = await self.session.execute(
            select(User, AssignmentRecipient)
            .join(AssignmentRecipient, col(AssignmentRecipient.user_id) == col(User.id))
            .where(AssignmentRecipient.assignment_id == assignment_id)
            .order_by(col(User.display_name))
        )
        return [(u, line) for u, line in found.all()]

    async def in_subtree(self, path_prefix: str) -> Sequence[Assignment]:
        found = await self.session.execute(
            select(Assignment)
            .join(Org, col(Org.id) == col(Assignment.org_id))
            .where(col(Org.path).startswith(path_prefix))
            .order_by(col(Assignment.id).desc())
            .limit(20)
        )
        return found.scalars().all()

    async def page_in_subtree(
        self, path_prefix: str, offset: int, limit: int, unfinished_due_before: date | None
    ) -> tuple[Sequence[Assignment], int]:
        """A subtree's tasks, newest first: a page and the count. With a day, only tasks
        due before it that someone has not finished (open or accepted)."""
        query = (
            select(Assignment)
            .join(Org, col(Org.id) == col(Assignment.org_id))
            .where(col(Org.path).startswith(path_prefix))
        )
        if unfinished_due_before is not None:
            query = query.where(col(Assignment.due_on) < unfinished_due_before, self._unfinished())
        rows, total = await self.page_of(query.order_by(col(Assignment.id).desc()), offset, limit)
        return [row[0] for row in rows], total

    def _unfinished(self) -> Any:
        line = AssignmentRecipient
        return exists().where(
            col(line.assignment_id) == col(Assignment.id),
            col(line.status).in_([RecipientStatus.open, RecipientStatus.accepted]),
        )

    async def page_of_recipient(
        self, user_id: int, offset: int, limit: int, unfinished_due_before: date | None
    ) -> tuple[list[tuple[Assignment, AssignmentRecipient]], int]:
        """An instructor's tasks with their own line, newest first: a page and the count."""
        query = (
            select(Assignment, AssignmentRecipient)
            .join(AssignmentRecipient, col(AssignmentRecipient.assignment_id) == col(Assignment.id))
            .where(AssignmentRecipient.user_id == user_id)
        )
        if unfinished_due_before is not None:
            query = query.where(
                col(Assignment.due_on) < unfinished_due_before,
                col(AssignmentRecipient.status).in_(
                    [RecipientStatus.open, RecipientStatus.accepted]
                ),
            )
        rows, total = await self.page_of(query.order_by(col(Assignment.id).desc()), offset, limit)
        return [(a, line) for a, line in rows], total

    async def status_counts(self, assignment_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """Each task's recipients by status, in one grouped query."""
        line = AssignmentRecipient
        return await self.counts_by(col(line.assignment_id), col(line.status), assignment_ids)

    async def of_recipient(self, user_id: int) -> list[tuple[Assignment, AssignmentRecipient]]:
        found = await self.session.execute(
            select(Assignment, AssignmentRecipient)
            .join(AssignmentRecipient, col(AssignmentRecipient.assignment_id) == col(Assignment.id))
            .where(AssignmentRecipient.user_id == user_id)
            .order_by(col(Assignment.id).desc())
            .limit(20)
        )
        return [(a, line) for a, line in found.all()]
