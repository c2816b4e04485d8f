"""Menu, help, language, privacy and cancel: what every member can do in any state."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import LangCB, Menu, MenuCB
from bot.commands import set_member_commands
from bot.context import Ctx
from bot.presentation.keyboards import back_from, back_to_menu, languages, main_menu
from bot.presentation.ui import Ui
from bot.services import survey_answers, users
from bot.services.anonymity import SurveyKeys
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("common")


async def show_menu(
    ui: Ui, uow: UnitOfWork, user: User, chat_id: int, message: Message | None = None
) -> None:
    org, has_profile = await users.overview(uow, user)
    markup = main_menu(ui, user.role, has_profile)
    await ui.edit_or_send(
        message,
        chat_id,
        "common.menu",
        markup,
        name=user.display_name,
        role=ui.enum(user.role),
        org=org.name,
    )


@router.message(CommandStart(), StateFilter(None), RoleFilter(*Role))
@router.message(Command("menu"), StateFilter(None), RoleFilter(*Role))
async def menu(message: Message, ctx: Ctx) -> None:
    await show_menu(ctx.ui, ctx.uow, ctx.member, message.chat.id)


@router.callback_query(MenuCB.filter(F.action == Menu.home), RoleFilter(*Role))
async def menu_button(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_menu(ctx.ui, ctx.uow, ctx.member, query.from_user.id)


@router.message(Command("help"))
async def help_command(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.help")


@router.callback_query(MenuCB.filter(F.action == Menu.help))
async def help_button(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.ui.show("common.help", back_to_menu(ctx.ui))


@router.message(Command("privacy"))
async def privacy(
    message: Message, uow: UnitOfWork, user: User | None, ui: Ui, settings: Settings
) -> None:
    org = (await users.overview(uow, user))[0].name if user else ""
    await ui.send(
        message.chat.id,
        "common.privacy",
        registered=user is not None,
        role=ui.enum(user.role) if user else "",
        org=org,
        attempt_window=settings.invite_attempt_window_minutes,
        k=settings.survey_min_answers,
    )


@router.message(Command("cancel"))
async def cancel(
    message: Message,
    state: FSMContext,
    ui: Ui,
    user: User | None,
    uow: UnitOfWork,
    survey_keys: SurveyKeys,
) -> None:
    assert message.from_user is not None
    left_survey = await survey_answers.drop_draft(uow, survey_keys, message.from_user.id)
    if await state.get_state() is None and not left_survey:
        await ui.send(message.chat.id, "common.nothing_to_cancel")
        return
    data = await state.get_data()
    given = [v for k, v in data.items() if k != "case_id" and not k.startswith("_")]
    typed = left_survey or any(given)
    await state.clear()
    key = "common.cancelled" if typed else "common.left"
    await ui.send(message.chat.id, key, back_from(ui, data) if user else None)


@router.message(Command("lang"))
async def lang_command(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.lang_prompt", languages())


@router.callback_query(MenuCB.filter(F.action == Menu.lang))
async def lang_button(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.ui.show("common.lang_prompt", languages())


@router.callback_query(LangCB.filter(F.code.in_({"zh", "en"})), RoleFilter(*Role))
async def lang_chosen(
    query: CallbackQuery, callback_data: LangCB, uow: UnitOfWork, user: User, ui: Ui, bot: Bot
) -> None:
    await users.set_locale(uow, user, callback_data.code)
    ui = ui.for_locale(callback_data.code)
    await set_member_commands(bot, ui.renderer, query.from_user.id, ui.locale)
    await ui.edit_or_send(None, query.from_user.id, "common.lang_set", back_to_menu(ui))


@router.callback_query(LangCB.filter(F.code.in_({"zh", "en"})))
async def lang_chosen_by_stranger(query: CallbackQuery, callback_data: LangCB, ui: Ui) -> None:
    # Strangers have no row to keep a choice in; answer in the chosen language once.
    ui = ui.for_locale(callback_data.code)
    await ui.send(query.from_user.id, "common.stranger")
