"""Invites: single-use codes that bind a Telegram account to a role in a union."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.services import access, orgs
from bot.services.errors import AccessDenied, Problem
from bot.settings import Settings
from storage.models import Invite, Org, Role, User
from storage.uow import UnitOfWork

# Deep-link payloads allow up to 64 characters of A-Za-z0-9_-; 24 random URL-safe
# characters carry 144 bits, far beyond guessing at any attempt limit.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class InviteState(StrEnum):
    usable = "usable"
    used = "used"
    expired = "expired"
    revoked = "revoked"


def new_code() -> str:
    return secrets.token_urlsafe(18)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("ascii", "replace")).hexdigest()


def invite_state(invite: Invite, now: datetime) -> InviteState:
    if invite.used_at is not None:
        return InviteState.used
    if invite.revoked_at is not None:
        return InviteState.revoked
    if now >= invite.expires_at:
        return InviteState.expired
    return InviteState.usable


@dataclass(frozen=True)
class NewInvite:
    invite: Invite
    code: str
    org: Org


async def create(
    uow: UnitOfWork,
    org: Org,
    role: Role,
    now: datetime,
    settings: Settings,
    created_by: User | None = None,
) -> NewInvite:
    assert org.id is not None
    code = new_code()
    invite = await uow.invites.add(
        Invite(
            code_hash=hash_code(code),
            role=role,
            org_id=org.id,
            created_by_id=created_by.id if created_by else None,
            created_at=now,
            expires_at=now + timedelta(hours=settings.invite_ttl_hours),
        )
    )
    return NewInvite(invite, code, org)


async def create_by_liaison(
    uow: UnitOfWork, liaison: User, org_id: int, role: Role, now: datetime, settings: Settings
) -> NewInvite:
    access.liaison(liaison)
    org = await orgs.require_within(uow, liaison, org_id)
    return await create(uow, org, role, now, settings, created_by=liaison)


async def revoke(uow: UnitOfWork, liaison: User, invite_id: int, now: datetime) -> None:
    invite = await uow.invites.get(invite_id)
    if invite is None or invite.created_by_id != liaison.id:
        raise AccessDenied()
    if invite_state(invite, now) is InviteState.usable:
        invite.revoked_at = now


@dataclass(frozen=True)
class Joined:
    user: User
    org: Org


async def redeem(
    uow: UnitOfWork,
    telegram_id: int,
    display_name: str,
    locale: str,
    code: str,
    now: datetime,
    settings: Settings,
) -> Joined:
    """Bind a Telegram account to the invite's role and union, or raise a Problem."""
    existing = await uow.users.by_telegram_id(telegram_id)
    if existing is not None:
        org = await orgs.org_of(uow, existing)
        raise Problem("common.already_bound", user=existing, org=org)

    window = timedelta(minutes=settings.invite_attempt_window_minutes)
    failures = await uow.invites.failures_since(telegram_id, now - window)
    if failures >= settings.invite_attempt_limit:
        raise Problem("onboarding.too_many", minutes=settings.invite_attempt_window_minutes)

    invite = await uow.invites.by_hash(hash_code(code)) if CODE_PATTERN.match(code) else None
    state = invite_state(invite, now) if invite else None
    if invite is None or state is not InviteState.usable:
        await uow.invites.record_failure(telegram_id, now)
        raise Problem(f"onboarding.{state.value if state else 'invalid'}")

    assert invite.id is not None
    # The conditional update is the race guard: of two people redeeming one code at the
    # same moment, exactly one gets it.
    if not await uow.invites.claim(invite.id, now):
        raise Problem("onboarding.used")
    user = await uow.users.add(
        User(
            telegram_id=telegram_id,
            role=invite.role,
            org_id=invite.org_id,
            display_name=display_name[:128],
            locale=locale,
            created_at=now,
        )
    )
    invite.used_by_id = user.id
    org = await orgs.org_of(uow, user)
    return Joined(user, org)


async def open_invites(uow: UnitOfWork, liaison: User, now: datetime) -> list[tuple[Invite, Org]]:
    result = []
    for invite in await uow.invites.open_created_by(liaison.id or 0, now):
        org = await uow.orgs.get(invite.org_id)
        assert org is not None
        result.append((invite, org))
    return result


async def prune_attempts(uow: UnitOfWork, now: datetime, settings: Settings) -> None:
    await uow.invites.prune_failures(
        now - timedelta(minutes=settings.invite_attempt_window_minutes)
    )
