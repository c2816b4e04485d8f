"""Enterprises: field validation, registration without duplicates, search, visibility."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.services import credit_code, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.numbers import parse_int
from bot.services.text import clean, text_value
from storage.models import Enterprise, User
from storage.uow import UnitOfWork

MAX_HEADCOUNT = 2_000_000


def _length(text: str, low: int, high: int, key: str) -> str:
    return text_value(text, low, high, key)


def parse_name(text: str) -> str:
    return _length(text, 2, 100, "enterprises.bad_name")


def parse_code(text: str) -> str:
    code = credit_code.normalise(clean(text))
    if len(code) != 18:
        raise Problem("enterprises.bad_code_length", length=len(code))
    if not credit_code.is_valid(code):
        raise Problem("enterprises.bad_code")
    return code


def parse_industry(text: str) -> str:
    return _length(text, 2, 50, "enterprises.bad_industry")


def _count(text: str) -> int | None:
    return parse_int(clean(text), 0, 10_000_000)


def parse_headcount(text: str) -> int:
    value = _count(text)
    if value is None or not 1 <= value <= MAX_HEADCOUNT:
        raise Problem("enterprises.bad_headcount", max=MAX_HEADCOUNT)
    return value


def parse_women(text: str, form: dict[str, Any] | None = None) -> int:
    value = _count(text)
    headcount = int((form or {}).get("headcount", MAX_HEADCOUNT))
    if value is None or not 0 <= value <= headcount:
        raise Problem("enterprises.bad_women", headcount=headcount)
    return value


def parse_address(text: str) -> str:
    return _length(text, 2, 200, "enterprises.bad_address")


def parse_contact(text: str) -> str:
    return _length(text, 2, 100, "enterprises.bad_contact")


async def register(uow: UnitOfWork, user: User, form: dict[str, Any], now: datetime) -> Enterprise:
    """Save a new enterprise in the user's union; every field is parsed again."""
    code = parse_code(str(form["credit_code"]))
    existing = await uow.enterprises.by_code(code)
    if existing is not None:
        org = await uow.orgs.get(existing.org_id)
        root = await orgs.org_of(uow, user)
        if org is not None and orgs.within(root, org):
            raise Problem("enterprises.duplicate", name=existing.name, org=org.name)
        # Registered in another union's subtree: say so, and whom to ask, without telling
        # what that union keeps (its name, the enterprise's name).
        told, liaisons = await orgs.nearest_liaisons(uow, root)
        names = "、".join(u.display_name for u in liaisons)
        raise Problem("enterprises.registered_elsewhere", union=told.name, names=names)
    headcount = parse_headcount(str(form["headcount"]))
    return await uow.enterprises.add(
        Enterprise(
            name=parse_name(str(form["name"])),
            credit_code=code,
            industry=parse_industry(str(form["industry"])),
            headcount=headcount,
            women=parse_women(str(form["women"]), {"headcount": headcount}),
            has_union=form["has_union"] == "yes",
            address=parse_address(str(form["address"])),
            contact=parse_contact(str(form["contact"])),
            org_id=user.org_id,
            created_by_id=user.id,
            created_at=now,
        )
    )


async def search(uow: UnitOfWork, user: User, query: str) -> Sequence[Enterprise]:
    """Enterprises in the user's union subtree whose name contains `query`, or with that code."""
    fragment = clean(query)[:100]
    if len(fragment) < 1:
        return []
    root = await orgs.org_of(uow, user)
    code = credit_code.normalise(fragment)
    return await uow.enterprises.search(root.path, fragment, code if len(code) == 18 else None)


async def visible(uow: UnitOfWork, user: User, enterprise_id: int) -> Enterprise:
    enterprise = await uow.enterprises.get(enterprise_id)
    if enterprise is None:
        raise AccessDenied()
    root = await orgs.org_of(uow, user)
    org = await uow.orgs.get(enterprise.org_id)
    if org is None or not orgs.within(root, org):
        raise AccessDenied()
    return enterprise
