"""Trainings: liaisons schedule them (for their whole subtree or named instructors), follow
the answers and mark attendance; instructors answer, check in during the session and see
their hours for the year."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Menu, MenuCB, TrainingAct, TrainingCB
from bot.context import Ctx
from bot.presentation import enum_labels
from bot.presentation.keyboards import people_picker, toggle_chosen
from bot.presentation.ui import Ui, button, keyboard
from bot.services import trainings
from bot.services.errors import Problem
from bot.services.rounds import parse_when
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, TrainingKind, User
from storage.uow import UnitOfWork

router = Blueprint("trainings")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
LIAISON = RoleFilter(Role.liaison)
liaison = router.scoped(LIAISON)  # the handlers only a liaison reaches
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches


class Pick(StatesGroup):
    invitees = State()


# ----- lists -----
@router.callback_query(MenuCB.filter(F.action == Menu.trainings))
async def listing(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member, ctx.now(), ctx.settings)


async def show_list(
    ui: Ui, chat_id: int, uow: UnitOfWork, user: User, now: datetime, settings: Settings
) -> None:
    found = await trainings.listing(uow, user, now)
    rows = [
        [
            button(
                f"{t.starts_at.astimezone(ui.renderer.zone):%m-%d %H:%M} {t.title}"[:60],
                TrainingCB(training_id=t.id or 0),
            )
        ]
        for t, _ in found
    ]
    if user.role is Role.liaison:
        rows.append(
            [
                button(ui.label("labels.training_new"), TrainingCB(action=TrainingAct.new)),
                button(ui.label("labels.training_hours"), TrainingCB(action=TrainingAct.hours)),
            ]
        )
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    year = now.astimezone(settings.zone).year
    mine = await trainings.hours(uow, user, year, settings) if user.role is Role.instructor else []
    await ui.show(
        "trainings.list",
        keyboard(rows),
        items=[
            {
                "at": t.starts_at,
                "title": t.title,
                "kind": ui.enum(t.kind),
                "answer": ui.label(f"labels.training_answer_{i.response}") if i else "",
            }
            for t, i in found
        ],
        year=year,
        hours=mine[0][1] if mine else None,
    )


@liaison.callback_query(TrainingCB.filter(F.action == TrainingAct.hours))
async def hours(query: CallbackQuery, ctx: Ctx) -> None:
    year = ctx.now().astimezone(ctx.settings.zone).year
    tally = await trainings.hours(ctx.uow, ctx.member, year, ctx.settings)
    back = keyboard([[button(ctx.ui.label("labels.training_list"), MenuCB(action=Menu.trainings))]])
    await ctx.ui.show("trainings.hours", back, year=year, rows=tally)


# ----- scheduling -----
def _start(text: str, context: StepContext) -> str:
    moment = parse_when(text, context.now, context.settings.zone)
    trainings.check_start(moment, context.now)
    return moment.isoformat()


def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    return {
        "kind": ui.label(f"labels.training_kind_{form['kind']}") if form.get("kind") else "",
        "title": form.get("title", ""),
        "at": datetime.fromisoformat(form["starts_at"]) if form.get("starts_at") else None,
        "hours": form.get("hours"),
        "place": form.get("place", ""),
        "audience": ui.label(f"labels.training_audience_{form['audience']}")
        if form.get("audience")
        else "",
    }


async def _submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    state: FSMContext = ctx.form_state
    if form["audience"] == "pick":
        await state.set_state(Pick.invitees)
        await state.update_data(_chosen=[])
        await show_pick(ui, await trainings.audience(ctx.uow, ctx.member), [])
        return
    await _schedule(ui, query.from_user.id, state, form, None, ctx)


async def _schedule(
    ui: Ui,
    chat_id: int,
    state: FSMContext,
    form: dict[str, Any],
    invitees: list[int] | None,
    ctx: Ctx,
) -> None:
    training, count = await trainings.schedule(
        ctx.uow,
        ctx.member,
        TrainingKind(form["kind"]),
        form["title"],
        datetime.fromisoformat(form["starts_at"]),
        float(form["hours"]),
        form["place"],
        invitees,
        ctx.now(),
    )
    await state.clear()
    await ui.show("trainings.scheduled", count=count)
    card = await trainings.card(ctx.uow, ctx.member, training.id or 0)
    await show_card(ui, chat_id, card)


FORM = Form(
    "trn",
    [
        Step(
            "kind",
            "trainings.ask_kind",
            label="labels.field_type",
            choices=tuple((enum_labels.key(k), k.value) for k in TrainingKind),
        ),
        Step("title", "trainings.ask_title", parse=lambda t, _: trainings.parse_title(t)),
        Step("starts_at", "trainings.ask_start", parse=_start),
        Step("hours", "trainings.ask_hours", parse=lambda t, _: trainings.parse_hours(t)),
        Step("place", "trainings.ask_place", parse=lambda t, _: trainings.parse_place(t)),
        Step(
            "audience",
            "trainings.ask_audience",
            choices=(
                ("labels.training_audience_all", "all"),
                ("labels.training_audience_pick", "pick"),
            ),
        ),
    ],
    review="trainings.review",
    summary=_summary,
    submit=_submit,
)
FORM.register(router, LIAISON)


@liaison.callback_query(TrainingCB.filter(F.action == TrainingAct.new))
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    await FORM.start(Env.of(ctx))


async def show_pick(ui: Ui, people: Sequence[User], chosen: list[int]) -> None:
    """The people picker, drawn over the pressed message."""
    markup = people_picker(
        ui,
        people,
        chosen,
        lambda uid: TrainingCB(action=TrainingAct.pick, user_id=uid),
        MenuCB(action=Menu.trainings),
        TrainingCB(action=TrainingAct.send),
        "labels.training_send",
    )
    await ui.show("trainings.pick", markup, count=len(chosen))


@liaison.callback_query(Pick.invitees, TrainingCB.filter(F.action == TrainingAct.pick))
async def toggle(query: CallbackQuery, callback_data: TrainingCB, ctx: Ctx) -> None:
    people = await trainings.audience(ctx.uow, ctx.member)
    chosen = await toggle_chosen(ctx.form_state, callback_data.user_id, people)
    await show_pick(ctx.ui, people, chosen)


@liaison.callback_query(Pick.invitees, TrainingCB.filter(F.action == TrainingAct.send))
async def send(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    form = await state.get_data()
    chosen = list(form.get("_chosen", []))
    ui: Ui = ctx.ui
    if not chosen:
        await ui.send(query.from_user.id, "trainings.nobody")
        return
    await _schedule(ui, query.from_user.id, state, form, chosen, ctx)


# ----- one training -----
def _card_markup(ui: Ui, card: trainings.TrainingCard) -> InlineKeyboardMarkup:
    tid = card.training.id or 0
    rows: list[list[Any]] = []
    if card.organiser:
        marks = [
            button(
                ("✅ " if a.invite.checked_in_at else "▫️ ") + a.user.display_name,
                TrainingCB(training_id=tid, action=TrainingAct.mark, user_id=a.user.id or 0),
            )
            for a in card.attendees
        ]
        rows += [marks[i : i + 2] for i in range(0, len(marks), 2)]
    else:
        rows.append(
            [
                button(
                    ui.label(f"labels.training_{answer}"),
                    TrainingCB(training_id=tid, action=answer),
                )
                for answer in (TrainingAct.attend, TrainingAct.cannot, TrainingAct.checkin)
            ]
        )
    rows.append([button(ui.label("labels.training_list"), MenuCB(action=Menu.trainings))])
    return keyboard(rows)


async def show_card(
    ui: Ui, chat_id: int, card: trainings.TrainingCard, message: Message | None = None
) -> None:
    t = card.training
    responses = [a.invite.response for a in card.attendees]
    await ui.edit_or_send(
        message,
        chat_id,
        "trainings.card",
        _card_markup(ui, card),
        title=t.title,
        kind=ui.enum(t.kind),
        at=t.starts_at,
        until=t.ends_at,
        place=t.place,
        hours=t.hours,
        organiser=card.organiser,
        attend=responses.count("attend"),
        cannot=responses.count("cannot"),
        pending=responses.count("pending"),
        present=sum(1 for a in card.attendees if a.invite.checked_in_at),
        people=[
            {
                "name": a.user.display_name,
                "answer": ui.label(f"labels.training_answer_{a.invite.response}"),
                "present": a.invite.checked_in_at is not None,
                "reason": a.invite.reason,
            }
            for a in card.attendees
        ],
    )


@router.callback_query(TrainingCB.filter((F.action == TrainingAct.card) & (F.training_id > 0)))
async def open_card(query: CallbackQuery, callback_data: TrainingCB, ctx: Ctx) -> None:
    card = await trainings.card(ctx.uow, ctx.member, callback_data.training_id)
    await show_card(ctx.ui, query.from_user.id, card)


@liaison.callback_query(TrainingCB.filter(F.action == TrainingAct.mark))
async def mark(query: CallbackQuery, callback_data: TrainingCB, ctx: Ctx) -> None:
    await trainings.mark(
        ctx.uow, ctx.member, callback_data.training_id, callback_data.user_id, ctx.now()
    )
    card = await trainings.card(ctx.uow, ctx.member, callback_data.training_id)
    await show_card(ctx.ui, query.from_user.id, card)


@instructor.callback_query(
    TrainingCB.filter(F.action.in_({TrainingAct.attend, TrainingAct.cannot}))
)
async def answer(query: CallbackQuery, callback_data: TrainingCB, ctx: Ctx) -> None:
    training = await trainings.respond(
        ctx.uow, ctx.member, callback_data.training_id, callback_data.action, ctx.now()
    )
    await ctx.ui.send(
        query.from_user.id,
        f"trainings.answered_{callback_data.action}",
        title=training.title,
        at=training.starts_at,
    )


@instructor.callback_query(TrainingCB.filter(F.action == TrainingAct.checkin))
async def check_in(query: CallbackQuery, callback_data: TrainingCB, ctx: Ctx) -> None:
    try:
        training = await trainings.check_in(
            ctx.uow, ctx.member, callback_data.training_id, ctx.now()
        )
    except Problem as problem:
        await ctx.ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await ctx.ui.send(
        query.from_user.id, "trainings.checked_in", title=training.title, hours=training.hours
    )
