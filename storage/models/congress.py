"""The workers' congress held online: the session, its seats (one personal single-use link
each) and the secret ballots, kept as the survey answers are (bot/services/anonymity.py)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from storage.models.base import Table
from storage.types import EnumString, UTCDateTime


class CongressStatus(StrEnum):
    checkin = "checkin"  # the links work; representatives check in
    voting = "voting"  # quorate: those checked in vote (late arrivals may still check in)
    closed = "closed"  # counted; the result is on the case
    cancelled = "cancelled"  # called off before the count


class Congress(Table, table=True):
    """One sitting of the workers' congress on a case's draft, held online. The counts are
    written at the close, from ballots nobody could read before it."""

    __tablename__ = "congress"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    motion: str = Field(max_length=300)
    total: int  # all the representatives, present or not
    status: CongressStatus = Field(sa_type=EnumString(CongressStatus))
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    voting_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    held_on: date | None = None  # the day of the count, in the union's zone
    present: int | None = None
    yes: int | None = None
    no: int | None = None
    abstain: int | None = None
    unread: int | None = None  # ballots sealed under a key since replaced
    passed: bool | None = None


class CongressSeat(Table, table=True):
    """A representative's seat: their link (kept as a keyed hash to find it, and sealed so
    the instructor can print the slips again), who checked in on it (a keyed hash of the
    Telegram id, so one person holds one seat; forgotten at the close) and whether its vote
    is cast. Nothing here says how: the ballot is a separate, sealed row with a random id."""

    __tablename__ = "congress_seat"
    __table_args__ = (
        sa.Index("ix_congress_seat_holder", "congress_id", "holder"),
        {"sqlite_with_rowid": False},
    )

    congress_id: int = Field(foreign_key="congress.id", primary_key=True)
    number: int = Field(primary_key=True)
    lookup: str = Field(max_length=64, unique=True)
    sealed_token: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    holder: str | None = Field(default=None, max_length=64)
    present: bool = False
    voted: bool = False


class CongressBallot(Table, table=True):
    """A cast vote, sealed (all three choices seal to the same length) until the count,
    then deleted: the counts go on the congress. A random id, no time, no seat."""

    __tablename__ = "congress_ballot"

    id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    congress_id: int = Field(foreign_key="congress.id", index=True)
    sealed: bytes = Field(sa_type=sa.LargeBinary)
