"""Unions, members, invitations and instructors' profiles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, delete, func, or_, update
from sqlmodel import col, select

from storage.models import (
    InstructorProfile,
    Invite,
    InviteAttempt,
    Org,
    ProfileStatus,
    Role,
    User,
)
from storage.repositories.base import ModelRepo


def instructors_in(query: Select[*Row], path_prefix: str) -> Select[*Row]:
    """`query` narrowed to the active instructors of a union subtree."""
    return query.join(Org, col(Org.id) == User.org_id).where(
        col(Org.path).startswith(path_prefix),
        col(User.role) == Role.instructor,
        col(User.active).is_(True),
    )


Row = tuple[Any, ...]


class Person(NamedTuple):
    """Who a person is in a list: their id, name and union."""

    id: int
    display_name: str
    org_id: int


def instructor_ids_under(path_prefix: str) -> Select[Any]:
    """The active instructors of a union subtree as a statement of their ids, for a query
    to read itself (the assessment's cohort) instead of a list of hundreds of ids."""
    return instructors_in(select(col(User.id)), path_prefix)


class OrgRepo(ModelRepo[Org]):
    model = Org

    async def many(self, ids: Iterable[int]) -> Sequence[Org]:
        """The unions of these ids, in one query."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        found = await self.session.execute(select(Org).where(col(Org.id).in_(wanted)))
        return found.scalars().all()

    async def add(self, org: Org) -> Org:
        self.session.add(org)
        await self.session.flush()
        assert org.id is not None
        parent_path = "/"
        if org.parent_id is not None:
            parent = await self.get(org.parent_id)
            assert parent is not None
            parent_path = parent.path
        org.path = f"{parent_path}{org.id}/"
        await self.session.flush()
        return org

    async def by_name(self, name: str) -> Org | None:
        stmt = select(Org).where(Org.name == name)
        return (await self.session.execute(stmt)).scalars().first()

    async def subtree(self, root: Org) -> Sequence[Org]:
        stmt = select(Org).where(col(Org.path).startswith(root.path)).order_by(col(Org.path))
        return (await self.session.execute(stmt)).scalars().all()

    async def all(self) -> Sequence[Org]:
        return (await self.session.execute(select(Org).order_by(col(Org.path)))).scalars().all()

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(Org))).scalar_one())


class UserRepo(ModelRepo[User]):
    model = User

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        stmt = select(User).where(User.telegram_id == telegram_id)
        return (await self.session.execute(stmt)).scalars().first()

    async def many(self, ids: Iterable[int]) -> Sequence[User]:
        """The users of these ids, in one query."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        stmt = select(User).where(col(User.id).in_(wanted))
        return (await self.session.execute(stmt)).scalars().all()

    async def instructors_under(self, path_prefix: str) -> Sequence[User]:
        stmt = instructors_in(select(User), path_prefix).order_by(col(User.display_name))
        found: Sequence[User] = (await self.session.execute(stmt)).scalars().all()
        return found

    async def members_under(self, path_prefix: str) -> Sequence[User]:
        """Active members (instructors and liaisons) of a union subtree."""
        stmt = (
            select(User)
            .join(Org, col(Org.id) == User.org_id)
            .where(col(Org.path).startswith(path_prefix), col(User.active).is_(True))
            .order_by(col(User.id))
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def instructors_with_profiles(
        self, path_prefix: str
    ) -> Sequence[tuple[User, InstructorProfile | None]]:
        """Instructors of a union subtree, active or not, each with their profile: one query
        (the roster), whatever their number."""
        stmt = (
            select(User, InstructorProfile)
            .join(Org, col(Org.id) == User.org_id)
            .outerjoin(InstructorProfile, col(InstructorProfile.user_id) == User.id)
            .where(col(Org.path).startswith(path_prefix), User.role == Role.instructor)
            .order_by(col(User.display_name), col(User.id))
        )
        return [(u, p) for u, p in (await self.session.execute(stmt)).all()]

    async def roster_page(
        self, path_prefix: str, fragment: str, age_cutoff: date, offset: int, limit: int
    ) -> tuple[Sequence[tuple[User, InstructorProfile | None]], int, int]:
        """One page of a subtree's instructors (a name fragment filters them), how many there
        are and how many need attention — inactive, no profile, awaiting approval, born on or
        before `age_cutoff` (at the age limit or past it), or blocking the bot — in three
        queries whatever their number."""
        where: list[Any] = [col(Org.path).startswith(path_prefix), User.role == Role.instructor]
        if fragment:
            where.append(
                or_(
                    col(User.display_name).contains(fragment, autoescape=True),
                    col(InstructorProfile.name).contains(fragment, autoescape=True),
                )
            )
        base = (
            select(User, InstructorProfile)
            .join(Org, col(Org.id) == User.org_id)
            .outerjoin(InstructorProfile, col(InstructorProfile.user_id) == User.id)
            .where(*where)
        )
        warned = or_(
            col(User.active).is_(False),
            col(User.blocked_bot).is_(True),
            col(InstructorProfile.id).is_(None),
            col(InstructorProfile.status) == ProfileStatus.pending_approval,
            col(InstructorProfile.birth_date) <= age_cutoff,
        )
        counted = select(func.count()).select_from(base.subquery())
        total = (await self.session.execute(counted)).scalar_one()
        flagged = select(func.count()).select_from(base.where(warned).subquery())
        attention = (await self.session.execute(flagged)).scalar_one()
        rows = await self.session.execute(
            base.order_by(col(User.display_name), col(User.id)).offset(offset).limit(limit)
        )
        return [(u, p) for u, p in rows.all()], int(total), int(attention)

    async def active_instructors_per_org(self, path_prefix: str) -> dict[int, int]:
        """Active instructors with an approved profile, counted per union, in SQL."""
        found = await self.session.execute(
            select(User.org_id, func.count())
            .join(Org, col(Org.id) == User.org_id)
            .join(InstructorProfile, col(InstructorProfile.user_id) == col(User.id))
            .where(
                col(Org.path).startswith(path_prefix),
                User.role == Role.instructor,
                col(User.active).is_(True),
                col(InstructorProfile.status) == ProfileStatus.active,
            )
            .group_by(col(User.org_id))
        )
        return {int(org): int(n) for org, n in found.all()}

    async def with_role(self, role: Role) -> Sequence[User]:
        found = await self.session.execute(
            select(User).where(User.role == role, col(User.active).is_(True))
        )
        return found.scalars().all()

    async def liaisons_of(self, org_id: int) -> Sequence[User]:
        stmt = select(User).where(
            User.org_id == org_id,
            User.role == Role.liaison,
            col(User.active).is_(True),
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def set_blocked(self, telegram_id: int, at: datetime | None) -> None:
        await self.session.execute(
            update(User)
            .where(col(User.telegram_id) == telegram_id)
            .values(blocked_bot=at is not None, blocked_at=at)
        )


class InviteRepo(ModelRepo[Invite]):
    model = Invite

    async def by_hash(self, code_hash: str) -> Invite | None:
        stmt = select(Invite).where(Invite.code_hash == code_hash)
        return (await self.session.execute(stmt)).scalars().first()

    async def claim(self, invite_id: int, at: datetime) -> bool:
        """Mark the invite used if nobody did first; the conditional update makes it atomic."""
        result = await self.session.execute(
            update(Invite)
            .where(col(Invite.id) == invite_id, col(Invite.used_at).is_(None))
            .values(used_at=at)
            .execution_options(synchronize_session="fetch")
        )
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def open_created_by(self, user_id: int, now: datetime) -> Sequence[Invite]:
        stmt = (
            select(Invite)
            .where(
                Invite.created_by_id == user_id,
                col(Invite.used_at).is_(None),
                col(Invite.revoked_at).is_(None),
                col(Invite.expires_at) > now,
            )
            .order_by(col(Invite.created_at).desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def record_failure(self, telegram_id: int, at: datetime) -> None:
        self.session.add(InviteAttempt(telegram_id=telegram_id, at=at))
        await self.session.flush()

    async def failures_since(self, telegram_id: int, since: datetime) -> int:
        stmt = select(func.count()).where(
            InviteAttempt.telegram_id == telegram_id, col(InviteAttempt.at) >= since
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def prune_failures(self, before: datetime) -> None:
        await self.session.execute(delete(InviteAttempt).where(col(InviteAttempt.at) < before))


class ProfileRepo(ModelRepo[InstructorProfile]):
    model = InstructorProfile

    async def by_user(self, user_id: int) -> InstructorProfile | None:
        stmt = select(InstructorProfile).where(InstructorProfile.user_id == user_id)
        return (await self.session.execute(stmt)).scalars().first()

    async def save(self, profile: InstructorProfile) -> InstructorProfile:
        self.session.add(profile)
        await self.session.flush()
        return profile

    async def pending_in(
        self, org_paths_prefix: str, limit: int = 30
    ) -> Sequence[tuple[InstructorProfile, User, Org]]:
        """Profiles awaiting approval in a subtree, oldest first, with their unions: one
        query for the page."""
        stmt = (
            select(InstructorProfile, User, Org)
            .join(User, col(User.id) == InstructorProfile.user_id)
            .join(Org, col(Org.id) == User.org_id)
            .where(
                col(InstructorProfile.status) == ProfileStatus.pending_approval,
                col(Org.path).startswith(org_paths_prefix),
            )
            .order_by(col(InstructorProfile.created_at))
            .limit(limit)
        )
        return [(p, u, o) for p, u, o in (await self.session.execute(stmt)).all()]
