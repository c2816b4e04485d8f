"""Who may do what: the role rules every service checks through, in one place. Whether a
person may see a case, a survey or someone's record also depends on the union tree
(orgs.within, cases.load); those checks stay beside the data they read, and call these."""

from __future__ import annotations

from bot.services.errors import AccessDenied
from storage.models import Role, User


def require(user: User | None, role: Role) -> User:
    """The user, when they hold `role`; a forged or foreign press is refused otherwise."""
    if user is None or user.role is not role:
        raise AccessDenied()
    return user


def liaison(user: User | None) -> User:
    return require(user, Role.liaison)


def instructor(user: User | None) -> User:
    return require(user, Role.instructor)
