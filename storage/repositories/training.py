"""Trainings and supervision checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select

from storage.models import (
    CheckItem,
    Org,
    Rectification,
    SupervisionCheck,
    Training,
    TrainingInvite,
    User,
)
from storage.repositories.base import ModelRepo


class TrainingRepo(ModelRepo[Training]):
    model = Training

    async def invite(self, invite: TrainingInvite) -> None:
        self.session.add(invite)
        await self.session.flush()

    async def invite_of(self, training_id: int, user_id: int) -> TrainingInvite | None:
        return await self.session.get(TrainingInvite, (training_id, user_id))

    async def invitees(self, training_id: int) -> list[tuple[User, TrainingInvite]]:
        found = await self.session.execute(
            select(User, TrainingInvite)
            .join(TrainingInvite, col(TrainingInvite.user_id) == col(User.id))
            .where(TrainingInvite.training_id == training_id)
            .order_by(col(User.display_name))
        )
        return [(u, i) for u, i in found.all()]

    async def in_subtree(self, path_prefix: str, since: datetime) -> Sequence[Training]:
        found = await self.session.execute(
            select(Training)
            .join(Org, col(Org.id) == col(Training.org_id))
            .where(col(Org.path).startswith(path_prefix), col(Training.starts_at) >= since)
            .order_by(col(Training.starts_at).desc())
            .limit(30)
        )
        return found.scalars().all()

    async def of_invitee(
        self, user_id: int, since: datetime
    ) -> list[tuple[Training, TrainingInvite]]:
        found = await self.session.execute(
            select(Training, TrainingInvite)
            .join(TrainingInvite, col(TrainingInvite.training_id) == col(Training.id))
            .where(TrainingInvite.user_id == user_id, col(Training.starts_at) >= since)
            .order_by(col(Training.starts_at).desc())
            .limit(30)
        )
        return [(t, i) for t, i in found.all()]

    async def hours(
        self, path_prefix: str, start: datetime, end: datetime, user_id: int | None = None
    ) -> dict[int, float]:
        """Hours of trainings attended (checked in or marked) per instructor, in SQL."""
        query = (
            select(TrainingInvite.user_id, func.sum(Training.hours))
            .join(Training, col(Training.id) == col(TrainingInvite.training_id))
            .join(Org, col(Org.id) == col(Training.org_id))
            .where(
                col(TrainingInvite.checked_in_at).is_not(None),
                col(Training.cancelled).is_(False),
                col(Training.starts_at) >= start,
                col(Training.starts_at) < end,
            )
            .group_by(col(TrainingInvite.user_id))
        )
        if path_prefix:
            query = query.where(col(Org.path).startswith(path_prefix))
        if user_id is not None:
            query = query.where(TrainingInvite.user_id == user_id)
        return {
            int(uid): float(total or 0) for uid, total in (await self.session.execute(query)).all()
        }


class SupervisionRepo(ModelRepo[SupervisionCheck]):
    model = SupervisionCheck

    async def of_case(self, case_id: int) -> Sequence[SupervisionCheck]:
        found = await self.session.execute(
            select(SupervisionCheck)
            .where(SupervisionCheck.case_id == case_id)
            .order_by(col(SupervisionCheck.scheduled_on).desc(), col(SupervisionCheck.id).desc())
        )
        return found.scalars().all()

    async def items(self, check_id: int) -> Sequence[CheckItem]:
        found = await self.session.execute(select(CheckItem).where(CheckItem.check_id == check_id))
        return found.scalars().all()

    async def item(self, check_id: int, area: str) -> CheckItem | None:
        return await self.session.get(CheckItem, (check_id, area))

    async def save_item(self, item: CheckItem) -> None:
        self.session.add(item)
        await self.session.flush()

    async def add_rectification(self, fix: Rectification) -> Rectification:
        self.session.add(fix)
        await self.session.flush()
        return fix

    async def rectification(self, rectification_id: int) -> Rectification | None:
        return await self.session.get(Rectification, rectification_id)

    async def rectifications(self, check_id: int) -> Sequence[Rectification]:
        found = await self.session.execute(
            select(Rectification)
            .where(Rectification.check_id == check_id)
            .order_by(col(Rectification.id))
        )
        return found.scalars().all()

    async def open_overdue(self, today: date) -> list[tuple[Rectification, SupervisionCheck]]:
        found = await self.session.execute(
            select(Rectification, SupervisionCheck)
            .join(SupervisionCheck, col(SupervisionCheck.id) == col(Rectification.check_id))
            .where(col(Rectification.closed_at).is_(None), col(Rectification.due_on) <= today)
        )
        return [(f, c) for f, c in found.all()]
