"""The union tree: adding unions, resolving them, and who may see what."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.services.errors import AccessDenied, Problem
from bot.services.numbers import button_int
from storage.models import Org, OrgLevel, User
from storage.repositories import Person
from storage.uow import UnitOfWork

NAME_MAX = 100


def within(root: Org, org: Org) -> bool:
    """True when `org` is `root` or below it in the tree."""
    return bool(root.path) and org.path.startswith(root.path)


async def add_org(
    uow: UnitOfWork, name: str, level: OrgLevel, parent_ref: str | None, now: datetime
) -> Org:
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise Problem("org.bad_name", max=NAME_MAX)
    if await uow.orgs.by_name(name) is not None:
        raise Problem("org.duplicate", name=name)
    parent = None
    if parent_ref is not None:
        parent = await resolve(uow, parent_ref)
        if parent is None:
            raise Problem("org.unknown_parent", ref=parent_ref)
    return await uow.orgs.add(
        Org(name=name, level=level, parent_id=parent.id if parent else None, created_at=now)
    )


async def resolve(uow: UnitOfWork, ref: str) -> Org | None:
    """An org by exact name, or by numeric id."""
    org = await uow.orgs.by_name(ref.strip())
    number = button_int(ref.strip(), 1, 2**31 - 1)
    if org is None and number is not None:
        org = await uow.orgs.get(number)
    return org


async def org_of(uow: UnitOfWork, user: User | Person) -> Org:
    org = await uow.orgs.get(user.org_id)
    assert org is not None, "users always belong to a union"
    return org


async def visible_orgs(uow: UnitOfWork, liaison: User) -> Sequence[Org]:
    """The liaison's own union and every union below it."""
    return await uow.orgs.subtree(await org_of(uow, liaison))


async def require_within(uow: UnitOfWork, liaison: User, org_id: int) -> Org:
    """The org, if the liaison may act on it; AccessDenied otherwise."""
    root = await org_of(uow, liaison)
    org = await uow.orgs.get(org_id)
    if org is None or not within(root, org):
        raise AccessDenied()
    return org


async def nearest_liaisons(
    uow: UnitOfWork, org: Org, exclude: int | None = None
) -> tuple[Org, list[User]]:
    """The liaisons of `org`, or of the nearest union above it that has any (leaving out
    the user `exclude`): who is told of a report, a pending profile, a declined task, or asked
    to approve a broadcast. `(org, [])` when nobody up the tree can be asked."""
    current: Org | None = org
    while current is not None:
        found = [u for u in await uow.users.liaisons_of(current.id or 0) if u.id != exclude]
        if found:
            return current, found
        current = await uow.orgs.get(current.parent_id) if current.parent_id else None
    return org, []
