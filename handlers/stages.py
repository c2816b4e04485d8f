"""Moving a case through the stages with the day each step happened (the term asked when a
contract is signed), and the workers' congress vote."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import (
    CaseCB,
    CongressAct,
    CongressCB,
    MoveCB,
    PublishCB,
)
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import cases, when
from bot.services.errors import Problem
from bot.services.profiles import today_in
from bot.services.text import text_value
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.cases import show_card
from handlers.common import show_menu
from handlers.filters import TEXT_INPUT, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, Stage

router = Blueprint("stages")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches


class Move(StatesGroup):
    date = State()


# ----- stage changes -----
@instructor.callback_query(MoveCB.filter(F.when == ""))
async def ask_move_date(query: CallbackQuery, callback_data: MoveCB, ctx: Ctx) -> None:
    try:
        target = Stage(callback_data.stage)
    except ValueError:
        raise Problem("common.expired_button") from None
    if target is Stage.signed:
        await _start_signing(ctx, callback_data.case_id)
        return
    case, _ = await cases.load(ctx.uow, ctx.member, callback_data.case_id)
    if cases.is_objection(case.stage, target):
        await _start_objection(ctx, callback_data.case_id)
        return
    await ctx.form_state.set_state(Move.date)
    await ctx.form_state.set_data({"case_id": callback_data.case_id, "target": target.value})
    row = [
        button(
            ctx.ui.label("labels.today"),
            MoveCB(case_id=callback_data.case_id, stage=target.value, when="today"),
        ),
        button(
            ctx.ui.label("labels.yesterday"),
            MoveCB(case_id=callback_data.case_id, stage=target.value, when="yesterday"),
        ),
    ]
    await ctx.ui.show(
        "cases.ask_date",
        keyboard(
            [row, [button(ctx.ui.label("labels.cancel"), CaseCB(case_id=callback_data.case_id))]]
        ),
        target=ctx.ui.enum(target),
    )


async def _apply_move(
    ctx: Ctx,
    case_id: int,
    target: Stage,
    on: date,
    term_years: int | None = None,
    note: str = "",
) -> None:
    ui, uow, user, settings = ctx.ui, ctx.uow, ctx.member, ctx.settings
    try:
        if target is Stage.signed and term_years is None:  # signing asks the term: a form
            await _start_signing(ctx, case_id, on)
            return
        await cases.move(uow, user, case_id, target, on, ctx.now(), settings, term_years, note)
    except Problem as problem:
        params = {k: ui.enum(v) if isinstance(v, Stage) else v for k, v in problem.params.items()}
        back = keyboard([[button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))]])
        await ui.reply_html(ui.text(problem.key, **params), back)  # never a dead end
        return
    await ctx.form_state.clear()
    await ui.show("cases.moved", target=ui.enum(target), on=on)
    await show_card(ctx, case_id)


@instructor.callback_query(MoveCB.filter(F.when.in_({"today", "yesterday"})))
async def move_on_quick_date(query: CallbackQuery, callback_data: MoveCB, ctx: Ctx) -> None:
    on = _quick_day(callback_data.when, today_in(ctx.settings.zone, ctx.now()))
    try:
        target = Stage(callback_data.stage)
    except ValueError:
        raise Problem("common.expired_button") from None
    case, _ = await cases.load(ctx.uow, ctx.member, callback_data.case_id)
    if cases.is_objection(case.stage, target):  # the reasons are asked first
        await _start_objection(ctx, callback_data.case_id)
        return
    await _apply_move(ctx, callback_data.case_id, target, on)


@instructor.message(Move.date, TEXT_INPUT)
async def move_on_typed_date(message: Message, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    try:
        on = when.day_value(message.text or "", today_in(ctx.settings.zone, ctx.now()))
    except Problem as problem:
        await ctx.ui.reply(problem.key)
        return
    await _apply_move(ctx, int(data["case_id"]), Stage(data["target"]), on)


@instructor.message(Move.date)
async def move_needs_text(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")


# ----- signing: the day and the term (a form: handlers/forms.py) -----
# day (today / yesterday / typed) → term (1–3 years, wage contracts usually 1) → review →
# 提交: the case moves to "signed", the filing deadline starts.
# The quick picks of a day step: today or yesterday, or a day typed.
DAY_PICKS = (("labels.today", "today"), ("labels.yesterday", "yesterday"))


def _quick_day(pick: str, today: date) -> date:
    return today - timedelta(days=1 if pick == "yesterday" else 0)


def _sign_day(text: str, context: StepContext) -> str:
    today = today_in(context.settings.zone, context.now)
    if text in ("today", "yesterday"):
        return _quick_day(text, today).isoformat()
    return when.day_value(text, today).isoformat()


def _terms(context: StepContext) -> list[tuple[str, str]]:
    legal, ui = context.settings.legal, context.ui
    years = range(legal.term_min_years, legal.term_max_years + 1)
    return [(ui.label("labels.years", n=n) if ui else str(n), str(n)) for n in years]


def _sign_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    return {"on": date.fromisoformat(context.form["on"]), "term": context.form["term"]}


async def _sign(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    on = date.fromisoformat(form["on"])
    await _apply_move(ctx, case_id, Stage.signed, on, int(form["term"]))


SIGN = Form(
    "sg",
    [
        Step(
            "on",
            "cases.ask_date",
            parse=_sign_day,
            choices=DAY_PICKS,
        ),
        Step("term", "cases.ask_term", offers=_terms),
    ],
    review="cases.sign_review",
    summary=_sign_summary,
    submit=_sign,
)
SIGN.register(router, INSTRUCTOR)


async def _start_signing(ctx: Ctx, case_id: int, on: date | None = None) -> None:
    """Refused at once when the case cannot be signed (the vote, the stage); the day's own
    rules are checked when submitted."""
    settings, legal = ctx.settings, ctx.settings.legal
    today = today_in(settings.zone, ctx.now())
    await cases.check_move(
        ctx.uow, ctx.member, case_id, Stage.signed, on or today, ctx.now(), settings.zone, legal
    )
    initial: dict[str, Any] = {
        "case_id": case_id,
        "target": ctx.ui.enum(Stage.signed),
        "low": legal.term_min_years,
        "high": legal.term_max_years,
    }
    if on is not None:
        initial["on"] = on.isoformat()
    await SIGN.start(Env.of(ctx), initial)


# ----- the review objected: back to negotiating (a form) -----
# day → the reasons → the articles named (optional) → review → 提交: the case returns to
# negotiating, the objection kept on the stage change and shown in the timeline.
def _reasons(text: str, context: StepContext) -> str:
    return text_value(text, 2, 1500, "cases.bad_objection", lines=True)


def _articles(text: str, context: StepContext) -> str:
    return text_value(text, 2, 200, "cases.bad_articles")


def _objection_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    on = date.fromisoformat(form["on"])
    return {"on": on, "reasons": form["reasons"], "articles": form.get("articles", "")}


async def _object(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    note = cases.objection_note(form["reasons"], form.get("articles", ""))
    await _apply_move(ctx, case_id, Stage.negotiating, date.fromisoformat(form["on"]), note=note)


OBJECTION = Form(
    "ob",
    [
        Step(
            "on",
            "cases.ask_objection_on",
            parse=_sign_day,
            choices=DAY_PICKS,
        ),
        Step("reasons", "cases.ask_objection_reasons", parse=_reasons),
        Step("articles", "cases.ask_objection_articles", parse=_articles, optional=True),
    ],
    review="cases.objection_review",
    summary=_objection_summary,
    submit=_object,
)
OBJECTION.register(router, INSTRUCTOR)


async def _start_objection(ctx: Ctx, case_id: int) -> None:
    await cases.editable(ctx.uow, ctx.member, case_id)  # the case's own instructor
    await OBJECTION.start(Env.of(ctx), {"case_id": case_id})


# ----- workers' congress -----
async def _congress_submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    clock: Clock = ctx.clock
    settings: Settings = ctx.settings
    state: FSMContext = ctx.form_state
    case_id = int(form["case_id"])
    try:
        result = await cases.record_congress(
            ctx.uow,
            ctx.member,
            case_id,
            int(form["total"]),
            int(form["present"]),
            int(form["yes"]),
            clock.now(),
            settings.legal,
        )
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, **problem.params)
        env = Env.of(ctx)
        await CONGRESS.start(env, {"case_id": case_id})
        return
    await state.clear()
    await ui.show(
        "cases.congress_result",
        passed=result.passed,
        quorum=result.quorum,
        total=form["total"],
        present=form["present"],
        yes=form["yes"],
        needed_present=result.needed_present,
        needed_yes=result.needed_yes,
    )
    await show_card(ctx, case_id)


def _count(text: str, _context: StepContext) -> int:
    return cases.parse_count(text)


def _present(text: str, context: StepContext) -> int:
    return cases.parse_count(text, most=int(context.form.get("total") or 0), of="total")


def _yes(text: str, context: StepContext) -> int:
    return cases.parse_count(text, most=int(context.form.get("present") or 0), of="present")


CONGRESS = Form(
    "cg",
    [
        Step("total", "cases.ask_total", parse=_count),
        Step("present", "cases.ask_present", parse=_present),
        Step("yes", "cases.ask_yes", parse=_yes),
    ],
    review="cases.congress_review",
    summary=lambda ui, context: dict(context.form),
    submit=_congress_submit,
)
CONGRESS.register(router)


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.paper))
async def start_congress(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    env = Env.of(ctx)
    await CONGRESS.start(env, {"case_id": callback_data.case_id})


@router.message(Command("menu", "start"), StateFilter(Move.date))
async def leave_input(message: Message, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_menu(ctx.ui, ctx.uow, ctx.member, message.chat.id)


# ----- publication to all staff (公示) -----
# A form: day → how (notice board, intranet, staff assembly, or typed) → review → 提交.
def _published_day(text: str, context: StepContext) -> str:
    today = today_in(context.settings.zone, context.now)
    signed = context.form.get("_signed_on")
    day = _quick_day(text, today) if text in ("today", "yesterday") else when.day_value(text, today)
    signed_on = date.fromisoformat(signed) if signed else None
    return cases.check_publication_day(day, today, signed_on).isoformat()


def _way(text: str, context: StepContext) -> str:
    if text in cases.PUBLICATION_WAYS and context.ui is not None:
        return context.ui.label(f"labels.publication_{text}")
    return cases.parse_publication_way(text)


def _publication_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    return {"on": date.fromisoformat(context.form["on"]), "how": context.form["how"]}


async def _publish(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    case_id = int(data["case_id"])
    await cases.record_publication(
        ctx.uow,
        ctx.member,
        case_id,
        date.fromisoformat(form["on"]),
        form["how"],
        ctx.now(),
        ctx.settings,
    )
    await ctx.form_state.clear()
    await show_card(ctx, case_id)


PUBLISH = Form(
    "pb",
    [
        Step("on", "cases.ask_published_on", parse=_published_day, choices=DAY_PICKS),
        Step(
            "how",
            "cases.ask_published_how",
            parse=_way,
            choices=tuple((f"labels.publication_{w}", w) for w in cases.PUBLICATION_WAYS),
        ),
    ],
    review="cases.publication_review",
    summary=_publication_summary,
    submit=_publish,
)
PUBLISH.register(router, INSTRUCTOR)


@instructor.callback_query(PublishCB.filter())
async def start_publication(query: CallbackQuery, callback_data: PublishCB, ctx: Ctx) -> None:
    case = await cases.may_publish(ctx.uow, ctx.member, callback_data.case_id)  # before asking
    signed = case.signed_on.isoformat() if case.signed_on else ""
    await PUBLISH.start(Env.of(ctx), {"case_id": callback_data.case_id, "_signed_on": signed})
