"""Logging negotiation meetings: a ten-step form most of which is taps and short answers,
the list of a case's meetings, and corrections that keep the earlier version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import CaseCB, RoundCB, RoundsCB, TopicsCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import rounds
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("rounds")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches


def _when(text: str, context: StepContext) -> Any:
    return rounds.parse_held_at(text, context.now, context.settings.zone)


def _next(text: str, context: StepContext) -> Any:
    return rounds.parse_next(text, context.now, context.settings.zone)


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    return {
        "held_at": _moment(form["held_at"]),
        "place": form["place"],
        "workers_present": form["workers_present"],
        "employer_present": form["employer_present"],
        "workers_names": form.get("workers_names") or [],
        "employer_names": form.get("employer_names") or [],
        "chiefs": form["chiefs_present"] == "yes",
        "recorder": form["recorder"],
        "agreements": form["agreements"],
        "open_points": form["open_points"],
        "next_meeting": _moment(form["next_meeting"]),
        "notes": form["notes"],
    }


async def _submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    state: FSMContext = ctx.form_state
    clock: Clock = ctx.clock
    settings: Settings = ctx.settings
    uow: UnitOfWork = ctx.uow
    user: User = ctx.member
    try:
        if form.get("round_id"):
            saved = await rounds.correct(
                uow, user, int(form["round_id"]), form, clock.now(), settings
            )
            key = "rounds.corrected"
        else:
            saved = await rounds.log(uow, user, int(form["case_id"]), form, clock.now(), settings)
            key = "rounds.saved"
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await state.clear()
    markup = keyboard(
        [
            # Positions and statuses discussed at the meeting go into the clause tracker,
            # where they are recorded against this round.
            [button(ui.label("labels.menu_topics"), TopicsCB(case_id=saved.case_id))],
            [button(ui.label("labels.back_to_case"), CaseCB(case_id=saved.case_id))],
        ]
    )
    await ui.show(key, markup, number=saved.round_no)


def _text(parse: Any) -> Any:
    return lambda text, _context: parse(text)


def _attendance(side: str) -> Step:
    """Who of one side attended: ticked from its registered representatives, or a number
    typed when none are registered."""

    def registered(context: StepContext) -> int:
        return len(context.form.get(f"_people_{side}") or [])

    return Step(
        f"{side}_present",
        f"rounds.ask_{side}_present",
        parse=lambda text, c: rounds.parse_present(text, c.settings, registered(c)),
        options=lambda c: [
            (str(name), str(pid)) for pid, name in c.form.get(f"_people_{side}") or []
        ],
        collect=lambda picked, c: rounds.parse_attendance(picked, side, registered(c), c.settings),
    )


FORM = Form(
    "rd",
    [
        Step(
            "held_at",
            "rounds.ask_held_at",
            parse=_when,
            choices=(
                ("labels.today_0900", "today 09h00"),
                ("labels.today_1400", "today 14h00"),
                ("labels.yesterday_1400", "yesterday 14h00"),
            ),
        ),
        Step("place", "rounds.ask_place", parse=_text(rounds.parse_place)),
        _attendance("workers"),
        _attendance("employer"),
        Step(
            "chiefs_present",
            "rounds.ask_chiefs_present",
            choices=(("labels.yes", "yes"), ("labels.no", "no")),
        ),
        Step("recorder", "rounds.ask_recorder", parse=_text(rounds.parse_recorder)),
        Step("agreements", "rounds.ask_agreements", parse=_text(rounds.parse_long), optional=True),
        Step(
            "open_points", "rounds.ask_open_points", parse=_text(rounds.parse_long), optional=True
        ),
        Step("next_meeting", "rounds.ask_next_meeting", parse=_next, optional=True),
        Step("notes", "rounds.ask_notes", parse=_text(rounds.parse_long), optional=True),
    ],
    review="rounds.review",
    summary=_summary,
    submit=_submit,
)
FORM.register(router, INSTRUCTOR)


@instructor.callback_query(RoundsCB.filter(F.new))
async def start_log(query: CallbackQuery, callback_data: RoundsCB, ctx: Ctx) -> None:
    initial = await rounds.log_start(ctx.uow, ctx.member, callback_data.case_id)
    await FORM.start(Env.of(ctx), initial)


@router.callback_query(RoundsCB.filter(~F.new))
async def list_rounds(query: CallbackQuery, callback_data: RoundsCB, ctx: Ctx) -> None:
    editable, found = await rounds.of_case(ctx.uow, ctx.member, callback_data.case_id)
    rows = [
        [button(f"#{r.round_no} · {r.place}"[:60], RoundCB(round_id=r.id or 0))]
        for r in found[-20:]
    ]
    if editable:
        rows.append(
            [
                button(
                    ctx.ui.label("labels.menu_log_round"),
                    RoundsCB(case_id=callback_data.case_id, new=True),
                )
            ]
        )
    rows.append(
        [button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=callback_data.case_id))]
    )
    items = [{"no": r.round_no, "at": r.held_at, "place": r.place} for r in found]
    await ctx.ui.show("rounds.list", keyboard(rows), items=items)


@router.callback_query(RoundCB.filter(~F.correct))
async def show_round(query: CallbackQuery, callback_data: RoundCB, ctx: Ctx) -> None:
    shown = await rounds.view(ctx.uow, ctx.member, callback_data.round_id)
    r = shown.negotiation_round
    rows = []
    if shown.editable:
        rows.append(
            [
                button(
                    ctx.ui.label("labels.correct_round"), RoundCB(round_id=r.id or 0, correct=True)
                )
            ]
        )
    rows.append([button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=r.case_id))])
    await ctx.ui.show(
        "rounds.card",
        keyboard(rows),
        no=r.round_no,
        held_at=r.held_at,
        place=r.place,
        workers_present=r.workers_present,
        employer_present=r.employer_present,
        workers_names=(r.attendees or {}).get("workers") or [],
        employer_names=(r.attendees or {}).get("employer") or [],
        chiefs=r.chiefs_present,
        recorder=r.recorder,
        agreements=r.agreements,
        open_points=r.open_points,
        next_meeting=r.next_meeting_at,
        notes=r.notes,
        revisions=len(shown.revisions),
        last_revision=shown.revisions[-1].at if shown.revisions else None,
    )


@instructor.callback_query(RoundCB.filter(F.correct))
async def start_correction(query: CallbackQuery, callback_data: RoundCB, ctx: Ctx) -> None:
    initial = await rounds.correction_start(ctx.uow, ctx.member, callback_data.round_id)
    await FORM.start(Env.of(ctx), initial)
