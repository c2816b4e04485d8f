"""Personal reminders: `/remind` with quick choices or free text (`/remind 明天 9:00 交月报`),
the list with cancel buttons, and Done / snooze on every reminder that arrives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, MenuCB, RemindAct, RemindCB
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import reminders
from bot.services.errors import Problem
from bot.services.rounds import parse_when
from handlers.blueprint import Blueprint
from handlers.filters import OWN_ANSWER, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("reminders")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))


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


# ----- a reminder of one's own -----
# A form (handlers/forms.py): what → when (in an hour, tomorrow 9:00, next Monday, or typed)
# → review → 提交; `/remind 明天9点 交月报` does it in one message.
QUICK = ("hour", "tomorrow", "monday")


def _note(text: str, context: StepContext) -> str:
    return reminders.parse_note(text)


def _when(text: str, context: StepContext) -> str:
    zone, now = context.settings.zone, context.now
    when = reminders.quick_time(text, now, zone) if text in QUICK else parse_when(text, now, zone)
    return when.isoformat()


def _remind_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    return {"text": context.form["note"], "at": datetime.fromisoformat(context.form["when"])}


async def _schedule(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    note = str(form["note"])
    scheduled = await reminders.remind_me(
        ctx.uow, ctx.member, note, datetime.fromisoformat(form["when"]), ctx.now(), ctx.settings
    )
    await ctx.form_state.clear()
    await _confirm(ctx.ui, query.from_user.id, scheduled, note)


REMIND = Form(
    "rm",
    [
        Step("note", "reminders.ask_text", parse=_note, label="labels.field_remind_note"),
        Step(
            "when",
            "reminders.ask_when",
            parse=_when,
            choices=tuple((f"labels.remind_quick_{q}", q) for q in QUICK),
        ),
    ],
    review="reminders.review",
    summary=_remind_summary,
    submit=_schedule,
)
REMIND.register(router)


@router.callback_query(RemindCB.filter(F.action == RemindAct.new))
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    await REMIND.start(Env.of(ctx), {"_max": reminders.PERSONAL_TEXT_MAX})


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
