"""Personal reminders: `/remind` with quick choices or free text (`/remind 明天 9:00 交月报`),
the list with cancel buttons, and Done / snooze on every reminder that arrives."""

from __future__ import annotations

from datetime import datetime

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, MenuCB, RemindAct, RemindCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import reminders
from bot.services.errors import Problem
from bot.services.rounds import parse_when
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import OWN_ANSWER, TEXT_INPUT, RoleFilter
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("reminders")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))


class Remind(StatesGroup):
    text = State()
    when = State()


async def show_list(ui: Ui, chat_id: int, uow: UnitOfWork, user: User) -> None:
    found = await reminders.mine(uow, user)
    rows = [
        [
            button(
                f"✖️ {r.due_at.astimezone(ui.renderer.zone):%m-%d %H:%M} "
                f"{r.payload.get('params', {}).get('text', '')}"[:60],
                RemindCB(reminder_id=r.id or 0, action=RemindAct.cancel),
            )
        ]
        for r in found
    ]
    rows.append([button(ui.label("labels.remind_new"), RemindCB(action=RemindAct.new))])
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ui.show(
        "reminders.list",
        keyboard(rows),
        items=[(r.due_at, r.payload.get("params", {}).get("text", "")) for r in found],
    )


async def _confirm(ui: Ui, chat_id: int, scheduled: reminders.Scheduled, note: str) -> None:
    await ui.show(
        "reminders.scheduled",
        keyboard([[button(ui.label("labels.remind_list"), MenuCB(action=Menu.reminders))]]),
        at=scheduled.reminder.due_at,
        text=note,
        moved=scheduled.moved,
    )


@router.message(Command("remind"))
async def remind_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    if not command.args:
        await ctx.form_state.clear()
        await show_list(ctx.ui, message.chat.id, ctx.uow, ctx.member)
        return
    try:
        when, note = reminders.parse_remind(command.args, ctx.now(), ctx.settings.zone)
        scheduled = await reminders.remind_me(
            ctx.uow, ctx.member, note, when, ctx.now(), ctx.settings
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await _confirm(ctx.ui, message.chat.id, scheduled, note)


@router.callback_query(MenuCB.filter(F.action == Menu.reminders))
async def list_button(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member)


@router.callback_query(RemindCB.filter(F.action == RemindAct.new))
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.set_state(Remind.text)
    back = keyboard([[button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.reminders))]])
    await ctx.ui.show("reminders.ask_text", back, max=reminders.PERSONAL_TEXT_MAX)


@router.message(Remind.text, TEXT_INPUT)
async def got_text(message: Message, ctx: Ctx) -> None:
    try:
        note = reminders.parse_note(message.text or "")
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.set_state(Remind.when)
    await ctx.form_state.update_data(note=note)
    quick = [
        button(
            ctx.ui.label(f"labels.remind_quick_{choice}"),
            RemindCB(action=RemindAct.when, reminder_id=i),
        )
        for i, choice in enumerate(("hour", "tomorrow", "monday"))
    ]
    rows = [quick, [button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.reminders))]]
    await ctx.ui.send(message.chat.id, "reminders.ask_when", keyboard(rows))


async def _schedule(
    ui: Ui,
    chat_id: int,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    when: datetime,
    clock: Clock,
    settings: Settings,
) -> None:
    note = str((await state.get_data()).get("note", ""))
    try:
        scheduled = await reminders.remind_me(uow, user, note, when, clock.now(), settings)
    except Problem as problem:
        await ui.send(chat_id, problem.key, **problem.params)
        return
    await state.clear()
    await _confirm(ui, chat_id, scheduled, note)


@router.callback_query(Remind.when, RemindCB.filter(F.action == RemindAct.when))
async def when_quick(query: CallbackQuery, callback_data: RemindCB, ctx: Ctx) -> None:
    choices = ("hour", "tomorrow", "monday")
    choice = choices[callback_data.reminder_id] if 0 <= callback_data.reminder_id < 3 else ""
    when = reminders.quick_time(choice, ctx.now(), ctx.settings.zone)
    await _schedule(
        ctx.ui,
        query.from_user.id,
        ctx.form_state,
        ctx.uow,
        ctx.member,
        when,
        ctx.clock,
        ctx.settings,
    )


@router.message(Remind.when, TEXT_INPUT)
async def when_typed(message: Message, ctx: Ctx) -> None:
    try:
        when = parse_when(message.text or "", ctx.now(), ctx.settings.zone)
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await _schedule(
        ctx.ui, message.chat.id, ctx.form_state, ctx.uow, ctx.member, when, ctx.clock, ctx.settings
    )


@router.message(Remind.text)
@router.message(Remind.when)
async def needs_text(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")


# ----- on a delivered reminder -----
@router.callback_query(RemindCB.filter(F.action == RemindAct.cancel), flags=OWN_ANSWER)
async def cancel(query: CallbackQuery, callback_data: RemindCB, ctx: Ctx) -> None:
    await reminders.cancel(ctx.uow, ctx.member, callback_data.reminder_id)
    await query.answer(ctx.ui.label("labels.remind_cancelled"))
    await show_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member)


@router.callback_query(RemindCB.filter(F.action == RemindAct.done))
async def done(query: CallbackQuery, callback_data: RemindCB, ctx: Ctx) -> None:
    await reminders.done(ctx.uow, ctx.member, callback_data.reminder_id, ctx.now())
    await ctx.ui.send(query.from_user.id, "reminders.marked_done")


@router.callback_query(RemindCB.filter(F.action.in_({RemindAct.hour, RemindAct.tomorrow})))
async def snooze(query: CallbackQuery, callback_data: RemindCB, ctx: Ctx) -> None:
    again = await reminders.snooze(
        ctx.uow,
        ctx.member,
        callback_data.reminder_id,
        callback_data.action,
        ctx.now(),
        ctx.settings,
    )
    await ctx.ui.send(query.from_user.id, "reminders.snoozed", at=again.due_at)
