"""Instructor profiles: validation of each field, the age rule, and approval."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import access, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.text import clean
from bot.services.when import parse_day
from bot.settings import LegalSettings
from storage.models import HiringRoute, InstructorProfile, Org, ProfileStatus, User
from storage.uow import UnitOfWork

NAME_MAX = 30
AREA_MAX = 100
CERTIFICATE_MAX = 40
MIN_AGE = 18

_NAME = re.compile(r"^[^\d\W_][^\d_<>&\"'@#$%^*=+{}\[\]|\\/;:!?，。！？]*$", re.UNICODE)
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$")
_CERTIFICATE = re.compile(r"^[A-Za-z0-9-]+$")


def parse_name(text: str) -> str:
    name = clean(text)
    if not 2 <= len(name) <= NAME_MAX or not _NAME.match(name):
        raise Problem("profile.bad_name", max=NAME_MAX)
    return name


def parse_phone(text: str) -> str:
    digits = re.sub(r"[\s()]", "", clean(text))
    if match := _MOBILE.match(digits.replace("-", "")):
        return match.group(1)
    if match := _LANDLINE.match(digits):
        return f"{match.group(1)}-{match.group(2)}"
    raise Problem("profile.bad_phone")


def parse_date(text: str) -> date:
    """A birth date: written out in full (no 'today' or '12月15日' without a year)."""
    day = parse_day(text)
    if day is None:
        raise Problem("profile.bad_date")
    return day


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class AgeRule(StrEnum):
    ok = "ok"
    needs_approval = "needs_approval"


class AgeStatus(StrEnum):
    """Where an age stands against the rule: up to the normal limit (65) an instructor may
    serve; above it up to the extended limit (68) with the higher union's approval; above
    that not at all."""

    too_young = "too_young"
    ok = "ok"
    near_limit = "near_limit"  # at the normal limit: over it within a year
    extended = "extended"  # above the normal limit, within the extended one
    over_limit = "over_limit"  # above the extended limit


def age_status(age: int, legal: LegalSettings) -> AgeStatus:
    """The one age rule; the profile form and the roster both read it."""
    if age < MIN_AGE:
        return AgeStatus.too_young
    if age > legal.age_extended_limit:
        return AgeStatus.over_limit
    if age > legal.age_normal_limit:
        return AgeStatus.extended
    if age == legal.age_normal_limit:
        return AgeStatus.near_limit
    return AgeStatus.ok


def age_rule(age: int, legal: LegalSettings) -> AgeRule:
    """The instructor age rule: normal limit, extended limit with the higher union's approval."""
    status = age_status(age, legal)
    if status is AgeStatus.too_young:
        raise Problem("profile.too_young", min=MIN_AGE)
    if status is AgeStatus.over_limit:
        raise Problem("profile.too_old", limit=legal.age_extended_limit, age=age)
    return AgeRule.needs_approval if status is AgeStatus.extended else AgeRule.ok


def parse_birth_date(text: str, today: date, legal: LegalSettings) -> date:
    birth = parse_date(text)
    if birth > today:
        raise Problem("profile.bad_date")
    age_rule(age_on(birth, today), legal)
    return birth


def parse_certificate(text: str) -> str:
    value = clean(text).upper()
    if not value or len(value) > CERTIFICATE_MAX or not _CERTIFICATE.match(value):
        raise Problem("profile.bad_certificate", max=CERTIFICATE_MAX)
    return value


def parse_area(text: str) -> str:
    value = clean(text)
    if not 2 <= len(value) <= AREA_MAX:
        raise Problem("profile.bad_area", max=AREA_MAX)
    return value


def parse_route(value: str) -> HiringRoute:
    try:
        return HiringRoute(value)
    except ValueError:
        raise Problem("common.expired_button") from None


def today_in(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()


FIELDS = ("name", "phone", "birth_date", "hiring_route", "certificate", "area")


@dataclass(frozen=True)
class Saved:
    profile: InstructorProfile
    org: Org
    age: int
    liaisons: list[User]  # asked to record the approval (empty: nobody up the tree)
    told: Org | None = None  # the union they belong to


async def save(
    uow: UnitOfWork,
    user: User,
    form: dict[str, Any],
    now: datetime,
    zone: ZoneInfo,
    legal: LegalSettings,
) -> Saved:
    """Create or update the user's profile from a completed form.

    Every field is parsed again: form data comes from storage and is not trusted.
    """
    access.instructor(user)
    today = today_in(zone, now)
    birth = parse_birth_date(form["birth_date"], today, legal)
    age = age_on(birth, today)
    needs_approval = age_rule(age, legal) is AgeRule.needs_approval
    profile = await uow.profiles.by_user(user.id or 0)
    approved_before = profile is not None and profile.approval_recorded_at is not None
    values: dict[str, Any] = {
        "name": parse_name(form["name"]),
        "phone": parse_phone(form["phone"]),
        "birth_date": birth,
        "hiring_route": parse_route(form["hiring_route"]),
        "certificate_no": parse_certificate(form["certificate"]) if form["certificate"] else None,
        "area": parse_area(form["area"]),
        "status": (
            ProfileStatus.pending_approval
            if needs_approval and not approved_before
            else ProfileStatus.active
        ),
        "updated_at": now,
    }
    if profile is None:
        profile = InstructorProfile(user_id=user.id or 0, created_at=now, **values)
    else:
        for name, value in values.items():
            setattr(profile, name, value)
    await uow.profiles.save(profile)
    # Everywhere a person is named (pickers, ledgers, lists, reports), the union reads the
    # name the instructor gave, not their Telegram name.
    user.display_name = profile.name
    org = await orgs.org_of(uow, user)
    liaisons: list[User] = []
    told = org
    if profile.status is ProfileStatus.pending_approval:
        # The same walk up the tree as major-problem reports: a union with no liaison of
        # its own has the one above record the approval.
        told, liaisons = await orgs.nearest_liaisons(uow, org)
    return Saved(profile, org, age, liaisons, told)


@dataclass(frozen=True)
class Approved:
    profile: InstructorProfile
    instructor: User
    newly: bool


async def record_approval(
    uow: UnitOfWork, liaison: User, profile_id: int, now: datetime
) -> Approved:
    """A liaison records that the higher union approved an instructor over the normal age."""
    access.liaison(liaison)
    profile = await uow.profiles.get(profile_id)
    instructor = await uow.users.get(profile.user_id) if profile else None
    if profile is None or instructor is None:
        raise AccessDenied()
    await orgs.require_within(uow, liaison, instructor.org_id)
    if profile.status is not ProfileStatus.pending_approval:
        return Approved(profile, instructor, newly=False)
    profile.status = ProfileStatus.active
    profile.approval_recorded_by_id = liaison.id
    profile.approval_recorded_at = now
    profile.updated_at = now
    return Approved(profile, instructor, newly=True)


async def pending(
    uow: UnitOfWork, liaison: User, now: datetime, zone: ZoneInfo
) -> list[tuple[InstructorProfile, Org, int]]:
    root = await orgs.org_of(uow, liaison)
    today = today_in(zone, now)
    return [
        (profile, org, age_on(profile.birth_date, today))
        for profile, _, org in await uow.profiles.pending_in(root.path)
    ]


def as_form(profile: InstructorProfile) -> dict[str, Any]:
    """A saved profile as form data, for editing."""
    return {
        "name": profile.name,
        "phone": profile.phone,
        "birth_date": profile.birth_date.isoformat(),
        "hiring_route": profile.hiring_route.value,
        "certificate": profile.certificate_no or "",
        "area": profile.area,
    }


@dataclass(frozen=True)
class Preview:
    age: int
    needs_approval: bool


def preview(form: dict[str, Any], now: datetime, zone: ZoneInfo, legal: LegalSettings) -> Preview:
    """What the review screen shows beside the typed fields."""
    today = today_in(zone, now)
    age = age_on(parse_date(form["birth_date"]), today)
    return Preview(age, age_rule(age, legal) is AgeRule.needs_approval)


async def profile_of(uow: UnitOfWork, user: User) -> InstructorProfile | None:
    return await uow.profiles.by_user(user.id or 0)
