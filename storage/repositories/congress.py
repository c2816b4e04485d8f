"""The workers' congress held online: sessions, seats and sealed ballots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from storage.models import Congress, CongressBallot, CongressSeat, CongressStatus
from storage.repositories.base import ModelRepo, random_id

OPEN = (CongressStatus.checkin, CongressStatus.voting)


@dataclass(frozen=True)
class Attendance:
    present: int
    voted: int


class CongressRepo(ModelRepo[Congress]):
    model = Congress

    async def of_case(self, case_id: int) -> Sequence[Congress]:
        found = await self.session.execute(
            select(Congress).where(Congress.case_id == case_id).order_by(col(Congress.id).desc())
        )
        return found.scalars().all()

    async def open_of_case(self, case_id: int) -> Congress | None:
        found = await self.session.execute(
            select(Congress)
            .where(Congress.case_id == case_id, col(Congress.status).in_(OPEN))
            .with_for_update()
        )
        return found.scalars().first()

    async def locked(self, congress_id: int) -> Congress | None:
        """The session, locked on PostgreSQL: a check-in, a vote and the count serialise."""
        found = await self.session.execute(
            select(Congress).where(Congress.id == congress_id).with_for_update()
        )
        return found.scalars().first()

    async def add_seats(self, seats: Sequence[CongressSeat]) -> None:
        self.session.add_all(seats)
        await self.session.flush()

    async def seats(self, congress_id: int) -> Sequence[CongressSeat]:
        found = await self.session.execute(
            select(CongressSeat)
            .where(CongressSeat.congress_id == congress_id)
            .order_by(col(CongressSeat.number))
        )
        return found.scalars().all()

    async def seat_by_lookup(self, lookup: str) -> CongressSeat | None:
        found = await self.session.execute(
            select(CongressSeat).where(CongressSeat.lookup == lookup).with_for_update()
        )
        return found.scalars().first()

    async def seat_of(self, congress_id: int, holder: str) -> CongressSeat | None:
        found = await self.session.execute(
            select(CongressSeat)
            .where(CongressSeat.congress_id == congress_id, CongressSeat.holder == holder)
            .with_for_update()
        )
        return found.scalars().first()

    async def attendance(self, congress_id: int) -> Attendance:
        present = func.count().filter(col(CongressSeat.present))
        voted = func.count().filter(col(CongressSeat.voted))
        row = (
            await self.session.execute(
                select(present, voted).where(CongressSeat.congress_id == congress_id)
            )
        ).one()
        return Attendance(int(row[0] or 0), int(row[1] or 0))

    async def add_ballot(self, congress_id: int, sealed: bytes) -> None:
        self.session.add(CongressBallot(id=random_id(), congress_id=congress_id, sealed=sealed))
        await self.session.flush()

    async def ballots(self, congress_id: int) -> list[bytes]:
        found = await self.session.execute(
            select(CongressBallot.sealed).where(CongressBallot.congress_id == congress_id)
        )
        return [bytes(blob) for blob in found.scalars().all()]

    async def forget(self, congress_id: int) -> None:
        """After the count: the ballots go, and so do who held each seat and the links."""
        await self.session.execute(
            delete(CongressBallot).where(col(CongressBallot.congress_id) == congress_id)
        )
        await self.session.execute(
            update(CongressSeat)
            .where(col(CongressSeat.congress_id) == congress_id)
            .values(holder=None, sealed_token=None)
        )
        await self.session.flush()
