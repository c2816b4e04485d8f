"""Who is talking to the bot: loading users, their language, and the blocked-bot flag."""

from __future__ import annotations

from datetime import datetime

from bot.services import orgs
from bot.settings import LOCALES
from storage.models import Org, User
from storage.uow import UnitOfWork


def pick_locale(user: User | None, telegram_language: str | None, default: str) -> str:
    """The user's chosen locale, else Telegram's language when we speak it, else default."""
    if user is not None and user.locale in LOCALES:
        return user.locale
    if telegram_language:
        short = telegram_language.split("-")[0].lower()
        if short in LOCALES:
            return short
    return default


async def load(uow: UnitOfWork, telegram_id: int) -> User | None:
    return await uow.users.by_telegram_id(telegram_id)


def noticed_unblock(user: User) -> bool:
    """A user who writes to us has unblocked the bot; clear the flag."""
    if user.blocked_bot:
        user.blocked_bot = False
        user.blocked_at = None
        return True
    return False


async def set_locale(uow: UnitOfWork, user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise ValueError(locale)
    user.locale = locale
    await uow.session.flush()


async def mark_blocked(uow: UnitOfWork, telegram_id: int, now: datetime) -> None:
    await uow.users.set_blocked(telegram_id, now)


async def overview(uow: UnitOfWork, user: User) -> tuple[Org, bool]:
    """The user's union and whether an instructor profile exists, for the menu."""
    org = await orgs.org_of(uow, user)
    has_profile = await uow.profiles.by_user(user.id or 0) is not None
    return org, has_profile
