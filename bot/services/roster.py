"""The liaison's roster: the instructors of the union subtree with their profiles and the
warnings that need attention (age limits, the higher union's approval, a blocked bot),
deactivation, each instructor's work file, and full-time quotas per union."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services import access, orgs, profiles
from bot.services.bargaining import add_months
from bot.services.errors import AccessDenied, Problem
from bot.services.profiles import AgeStatus, age_on, today_in
from bot.services.text import clean
from bot.settings import Settings
from storage.models import InstructorProfile, Org, OrgLevel, ProfileStatus, Role, User
from storage.uow import UnitOfWork

PAGE = 10


@dataclass(frozen=True)
class Entry:
    user: User
    profile: InstructorProfile | None
    union: str
    age: int | None
    warnings: list[str] = field(default_factory=list)  # label keys


def warnings_for(
    user: User, profile: InstructorProfile | None, age: int | None, settings: Settings
) -> list[str]:
    legal, found = settings.legal, []
    if not user.active:
        found.append("inactive")
    if profile is None:
        found.append("no_profile")
    elif profile.status is ProfileStatus.pending_approval:
        found.append("needs_approval")
    if age is not None:
        status = profiles.age_status(age, legal)
        if status in (AgeStatus.near_limit, AgeStatus.extended, AgeStatus.over_limit):
            found.append(status.value)
    if user.blocked_bot:
        found.append("blocked")
    return found


def _liaison(user: User) -> None:
    access.liaison(user)


async def _entry(
    uow: UnitOfWork, user: User, unions: dict[int, Org], now: datetime, settings: Settings
) -> Entry:
    return _entry_of(user, await uow.profiles.by_user(user.id or 0), unions, now, settings)


def _entry_of(
    user: User,
    profile: InstructorProfile | None,
    unions: dict[int, Org],
    now: datetime,
    settings: Settings,
) -> Entry:
    age = age_on(profile.birth_date, today_in(settings.zone, now)) if profile else None
    union = unions[user.org_id].name if user.org_id in unions else ""
    return Entry(user, profile, union, age, warnings_for(user, profile, age, settings))


async def roster(
    uow: UnitOfWork, liaison: User, query: str, now: datetime, settings: Settings
) -> list[Entry]:
    """Everyone in the subtree (active or not), optionally filtered by a name fragment."""
    _liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    unions = {o.id or 0: o for o in await uow.orgs.subtree(root)}
    fragment = clean(query)
    found = []
    for user, profile in await uow.users.instructors_with_profiles(root.path):
        entry = _entry_of(user, profile, unions, now, settings)
        names = (user.display_name, entry.profile.name if entry.profile else "")
        if not fragment or any(fragment in name for name in names):
            found.append(entry)
    return found


@dataclass(frozen=True)
class RosterPage:
    entries: list[Entry]
    page: int  # from 0
    pages: int
    total: int
    warned: int  # in the whole roster (or the search), not only on this page


async def roster_page(
    uow: UnitOfWork, liaison: User, query: str, page: int, now: datetime, settings: Settings
) -> RosterPage:
    """One page of the subtree's instructors, filtered by a name fragment, with the count of
    those who need attention; paged and counted in SQL."""
    _liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    unions = {o.id or 0: o for o in await uow.orgs.subtree(root)}
    fragment = clean(query)
    today = today_in(settings.zone, now)
    # At the normal age limit or past it: born on or before this day.
    cutoff = add_months(today, -12 * settings.legal.age_normal_limit)
    page = max(page, 0)
    rows, total, warned = await uow.users.roster_page(
        root.path, fragment, cutoff, page * PAGE, PAGE
    )
    pages = max(1, -(-total // PAGE))
    if page >= pages:  # the roster shrank since the button was drawn
        page = pages - 1
        rows, total, warned = await uow.users.roster_page(
            root.path, fragment, cutoff, page * PAGE, PAGE
        )
    entries = [_entry_of(user, profile, unions, now, settings) for user, profile in rows]
    return RosterPage(entries, page, pages, total, warned)


async def person(
    uow: UnitOfWork, liaison: User, user_id: int, now: datetime, settings: Settings
) -> Entry:
    _liaison(liaison)
    user = await uow.users.get(user_id)
    if user is None or user.role is not Role.instructor:
        raise AccessDenied()
    await orgs.require_within(uow, liaison, user.org_id)
    root = await orgs.org_of(uow, liaison)
    unions = {o.id or 0: o for o in await uow.orgs.subtree(root)}
    return await _entry(uow, user, unions, now, settings)


async def set_active(
    uow: UnitOfWork, liaison: User, user_id: int, active: bool, now: datetime, settings: Settings
) -> Entry:
    entry = await person(uow, liaison, user_id, now, settings)
    if entry.user.active == active:
        raise Problem("roster.already_active" if active else "roster.already_inactive")
    entry.user.active = active
    return await person(uow, liaison, user_id, now, settings)


async def work_file(
    uow: UnitOfWork, viewer: User, user_id: int, now: datetime, settings: Settings
) -> tuple[Entry, list[tuple[datetime, str, str]]]:
    """The instructor's recorded work of the last year, for their liaison."""
    entry = await person(uow, viewer, user_id, now, settings)
    return entry, await uow.activity.recent(user_id, now - timedelta(days=366))


# ----- quotas -----
@dataclass(frozen=True)
class Quota:
    org: Org
    active: int
    low: int
    high: int | None

    @property
    def short(self) -> int:
        return max(self.low - self.active, 0)

    @property
    def over(self) -> int:
        return max(self.active - self.high, 0) if self.high is not None else 0


def quota_for(level: OrgLevel, settings: Settings) -> tuple[int, int | None] | None:
    legal = settings.legal
    if level is OrgLevel.province:
        return legal.quota_province_min, legal.quota_province_max
    if level is OrgLevel.city:
        return legal.quota_city_min, None
    if level is OrgLevel.county:
        return legal.quota_county_min, None
    return None


async def quotas(uow: UnitOfWork, liaison: User, settings: Settings) -> list[Quota]:
    """Active full-time instructors registered at each union of the subtree with a quota."""
    _liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    counts = await uow.users.active_instructors_per_org(root.path)
    found = []
    for org in await uow.orgs.subtree(root):
        bounds = quota_for(org.level, settings)
        if bounds is not None:
            found.append(Quota(org, counts.get(org.id or 0, 0), bounds[0], bounds[1]))
    return found
