"""Command menus, per role scope and per language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.presentation.rendering import Renderer
from bot.settings import LOCALES

STRANGER_COMMANDS = ("start", "help", "privacy", "lang")
MEMBER_COMMANDS = ("menu", "remind", "cancel", "lang", "help", "privacy")


def _commands(renderer: Renderer, locale: str, names: tuple[str, ...]) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=renderer.label(locale, f"commands.{name}"))
        for name in names
    ]


async def set_default_commands(bot: Bot, renderer: Renderer) -> None:
    """What a stranger sees: the default locale for everyone, each other locale by language."""
    default = renderer.default_locale
    await bot.set_my_commands(
        _commands(renderer, default, STRANGER_COMMANDS), scope=BotCommandScopeDefault()
    )
    for locale in LOCALES:
        if locale != default:
            await bot.set_my_commands(
                _commands(renderer, locale, STRANGER_COMMANDS),
                scope=BotCommandScopeDefault(),
                language_code=locale,
            )


async def set_member_commands(bot: Bot, renderer: Renderer, chat_id: int, locale: str) -> None:
    await bot.set_my_commands(
        _commands(renderer, locale, MEMBER_COMMANDS), scope=BotCommandScopeChat(chat_id=chat_id)
    )
