"""Access filters: a router declares which roles may reach it."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from storage.models import Role, User


class RoleFilter(Filter):
    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, user: User | None = None, **_: Any) -> bool:
        return user is not None and user.active and user.role in self.roles


# Typed text, as opposed to a command: form steps take this, so /cancel and /lang still work.
TEXT_INPUT = F.text & ~F.text.startswith("/")
