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


# Callback queries are answered by aiogram's CallbackAnswerMiddleware before the handler runs
# (bot/app.py), so the spinner stops at once even while a document renders. A handler that
# answers with a toast of its own says so with this flag.
OWN_ANSWER: dict[str, Any] = {"callback_answer": {"disabled": True}}

# Handlers that render a file: the chat shows "sending a file…" (or a photo) meanwhile.
SENDS_FILE: dict[str, Any] = {"chat_action": "upload_document"}
SENDS_PHOTO: dict[str, Any] = {"chat_action": "upload_photo"}
