"""The catch-all, registered last: nobody is ever met with silence, and /menu and /start
work in any state that no form claimed before (forms resume their step on them)."""

from __future__ import annotations

from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.presentation.keyboards import back_to_menu
from bot.presentation.ui import Ui
from handlers.blueprint import Blueprint
from handlers.common import show_menu
from handlers.filters import OWN_ANSWER
from storage.models import User
from storage.uow import UnitOfWork

router = Blueprint("fallback")


@router.message(CommandStart(deep_link=False))
@router.message(Command("menu"))
async def menu_anywhere(
    message: Message, state: FSMContext, uow: UnitOfWork, user: User | None, ui: Ui
) -> None:
    """A list, a search or a flow a refusal left behind: leave it for the menu."""
    await state.clear()
    if user is None:
        await ui.send(message.chat.id, "common.stranger")
    elif not user.active:
        await ui.send(message.chat.id, "common.inactive")
    else:
        await show_menu(ui, uow, user, message.chat.id)


@router.message()
async def anything(message: Message, user: User | None, ui: Ui) -> None:
    if user is None:
        await ui.send(message.chat.id, "common.stranger")
    elif not user.active:
        await ui.send(message.chat.id, "common.inactive")
    else:
        await ui.send(message.chat.id, "common.unknown", back_to_menu(ui))


@router.callback_query(flags=OWN_ANSWER)
async def stale_button(query: CallbackQuery, user: User | None, ui: Ui) -> None:
    """Old, forged or foreign buttons: say plainly that it no longer works."""
    if user is None:
        await query.answer()
        await ui.send(query.from_user.id, "common.stranger")
    elif not user.active:
        await query.answer()
        await ui.send(query.from_user.id, "common.inactive")
    else:
        await query.answer(ui.text("common.expired_button")[:190], show_alert=False)
        await ui.send(query.from_user.id, "common.expired_button", back_to_menu(ui))
