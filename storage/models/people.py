"""Unions, members, invitations, instructors' profiles, and what the bot keeps of its own
(handled updates, form state)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from storage.models.base import Table
from storage.types import EnumString, UTCDateTime


class OrgLevel(StrEnum):
    national = "national"
    province = "province"
    city = "city"
    county = "county"
    township = "township"
    zone = "zone"
    industry = "industry"


class Role(StrEnum):
    liaison = "liaison"
    instructor = "instructor"


class HiringRoute(StrEnum):
    direct = "direct"
    social_worker = "social_worker"
    purchased = "purchased"


class ProfileStatus(StrEnum):
    active = "active"
    pending_approval = "pending_approval"


class Org(Table, table=True):
    """A union in the tree. `path` is the materialised path '/1/4/9/' for subtree queries."""

    __tablename__ = "org"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    level: OrgLevel = Field(sa_type=EnumString(OrgLevel))
    parent_id: int | None = Field(default=None, foreign_key="org.id", index=True)
    path: str = Field(default="", max_length=255, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class User(Table, table=True):
    """Someone bound to a role by an invite. Strangers and survey workers have no row."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True)
    role: Role = Field(sa_type=EnumString(Role))
    org_id: int = Field(foreign_key="org.id", index=True)
    display_name: str = Field(default="", max_length=128)
    locale: str = Field(default="zh", max_length=8)
    active: bool = True
    blocked_bot: bool = False
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Invite(Table, table=True):
    """A single-use code. Only its SHA-256 is stored, so a copy of the database leaks none."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    role: Role = Field(sa_type=EnumString(Role))
    org_id: int = Field(foreign_key="org.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InviteAttempt(Table, table=True):
    """A wrong invite code, kept for the attempt limit and pruned after its window."""

    __tablename__ = "invite_attempt"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, index=True)
    at: datetime = Field(sa_type=UTCDateTime)


class InstructorProfile(Table, table=True):
    __tablename__ = "instructor_profile"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    name: str = Field(max_length=50)
    phone: str = Field(max_length=20)
    birth_date: date
    hiring_route: HiringRoute = Field(sa_type=EnumString(HiringRoute))
    certificate_no: str | None = Field(default=None, max_length=40)
    area: str = Field(max_length=100)
    status: ProfileStatus = Field(sa_type=EnumString(ProfileStatus))
    approval_recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approval_recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProcessedUpdate(Table, table=True):
    """Telegram update ids already handled: the guard that handles each at most once."""

    __tablename__ = "processed_update"

    update_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    )
    processed_at: datetime = Field(sa_type=UTCDateTime, index=True)


class WebAppSignIn(Table, table=True):
    """A Mini App's initData already exchanged for a dashboard session: the same initData
    again is a replay. Only a one-way digest of its signature is kept, never who it was,
    until it would have expired anyway."""

    __tablename__ = "webapp_sign_in"

    digest: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class FsmRecord(Table, table=True):
    """A conversation's state and form data, so half-filled forms survive restarts."""

    __tablename__ = "fsm_record"

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)
