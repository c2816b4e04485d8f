"""Joining by invite: `/start CODE` or the deep link t.me/<bot>?start=CODE."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.clock import Clock
from bot.commands import set_member_commands
from bot.presentation.keyboards import back_to_menu
from bot.presentation.ui import Ui
from bot.services import invites
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.common import show_menu
from handlers.forms import Env
from handlers.profile import start_form
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("onboarding")


@router.message(CommandStart(deep_link=True), StateFilter(None))
async def join(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    user: User | None,
    ui: Ui,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    assert message.from_user is not None
    try:
        joined = await invites.redeem(
            uow,
            telegram_id=message.from_user.id,
            display_name=message.from_user.full_name,
            locale=ui.locale,
            code=(command.args or "").strip(),
            now=clock.now(),
            settings=settings,
        )
    except Problem as problem:
        if problem.key == "common.already_bound" and user is not None:
            await ui.send(
                message.chat.id,
                problem.key,
                back_to_menu(ui),
                role=ui.enum(user.role),
                org=problem.params["org"].name,
            )
            return
        await ui.send(message.chat.id, problem.key, **problem.params)
        return

    await set_member_commands(bot, ui.renderer, message.chat.id, ui.locale)
    if joined.user.role is Role.instructor:
        await ui.send(message.chat.id, "onboarding.welcome_instructor", org=joined.org.name)
        await start_form(Env(ui, state, message.chat.id, clock, settings))
    else:
        await ui.send(message.chat.id, "onboarding.welcome_liaison", org=joined.org.name)
        await show_menu(ui, uow, joined.user, message.chat.id)
