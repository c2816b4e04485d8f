"""The error handler: log the update id with the traceback, answer the user kindly."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.fsm.context import FSMContext
from aiogram.types import ErrorEvent

from bot.flow import Priority, lane
from bot.middlewares import answered
from bot.presentation.keyboards import back_to_menu
from bot.presentation.rendering import Renderer
from bot.presentation.ui import Ui
from bot.services.errors import AccessDenied, Refusal
from bot.settings import Settings
from handlers.blueprint import Blueprint

log = logging.getLogger("xieshang.errors")
router = Blueprint("errors")


@router.errors()
async def on_error(
    event: ErrorEvent, bot: Bot, renderer: Renderer, settings: Settings, **data: Any
) -> bool:
    update = event.update
    chat_id: int | None = None
    language: str | None = None
    if update.message and update.message.from_user:
        chat_id, language = update.message.chat.id, update.message.from_user.language_code
    elif update.callback_query:
        chat_id, language = (
            update.callback_query.from_user.id,
            update.callback_query.from_user.language_code,
        )
    ui = data.get("ui")
    if not isinstance(ui, Ui):
        ui = Ui(bot, renderer, renderer.locale(language or settings.default_locale))

    problem = event.exception if isinstance(event.exception, Refusal) else None
    if isinstance(event.exception, TelegramRetryAfter):
        # Flood control kept the reply back past its limit (bot/flow.py logged it); an
        # apology would meet the same flood. What the user did was committed.
        return True
    if problem is None:
        log.error("update %s failed", update.update_id, exc_info=event.exception)
    if chat_id is None:
        return True
    state = data.get("state")
    if isinstance(event.exception, AccessDenied) and isinstance(state, FSMContext):
        # A refused step (a forged button, a case taken away) cannot go on: without this the
        # flow would refuse every message until /cancel.
        await state.clear()
    if update.callback_query and not answered(update.callback_query.id):
        # Unless the handler answered it before it failed (a second answer is refused).
        with contextlib.suppress(TelegramAPIError):
            await update.callback_query.answer()
    try:
        key = problem.key if problem else "common.error"
        with lane(Priority.reply):  # outside the update's middlewares, still a reply
            await ui.send(chat_id, key, back_to_menu(ui), **(problem.params if problem else {}))
    except TelegramAPIError:
        log.warning(
            "could not tell chat %s about the failure of update %s", chat_id, update.update_id
        )
    return True
