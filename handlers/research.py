"""Research data: an enterprise's yearly figures (instructors), the region's wage guideline
(liaisons), and the suggested wage rise on a case."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery

from bot.callbacks import AdviceCB, CaseCB, EnterpriseCB, FinanceCB, Menu, MenuCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu
from bot.presentation.ui import Ui, button, keyboard
from bot.services import advice, enterprises, research
from bot.services.errors import Problem
from bot.services.profiles import today_in
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("research")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
LIAISON = RoleFilter(Role.liaison)
liaison = router.scoped(LIAISON)  # the handlers only a liaison reaches


def _year(text: str, context: StepContext) -> int:
    return research.parse_year(text, today_in(context.settings.zone, context.now).year)


def _guideline_year(text: str, context: StepContext) -> int:
    return research.parse_year(text, today_in(context.settings.zone, context.now).year + 1)


def _amount(text: str, _context: StepContext) -> str:
    return str(research.parse_amount(text))  # kept as text in the form state (JSON)


def _percent(text: str, _context: StepContext) -> str:
    return str(research.parse_percent(text))


async def _finance_submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    clock: Clock = ctx.clock
    enterprise_id = int(form["enterprise_id"])
    try:
        await research.save_finance(ctx.uow, ctx.member, enterprise_id, form, clock.now())
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    await _show_finance(
        ui, query.from_user.id, ctx.uow, ctx.member, enterprise_id, clock, ctx.settings
    )


FINANCE = Form(
    "fin",
    [
        Step("year", "research.ask_year", parse=_year),
        Step("revenue", "research.ask_revenue", parse=_amount),
        Step(
            "profit",
            "research.ask_profit",
            parse=lambda text, _: str(research.parse_amount(text, allow_negative=True)),
        ),
        Step("labour_cost", "research.ask_labour_cost", parse=_amount),
        Step("wage_bill", "research.ask_wage_bill", parse=_amount),
        Step("average_wage", "research.ask_average_wage", parse=_amount),
        Step(
            "headcount",
            "research.ask_headcount",
            parse=lambda text, _: enterprises.parse_headcount(text),
        ),
    ],
    review="research.finance_review",
    summary=lambda ui, context: dict(context.form),
    submit=_finance_submit,
)
FINANCE.register(router, INSTRUCTOR)


async def _guideline_submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    clock: Clock = ctx.clock
    try:
        await research.save_guideline(ctx.uow, ctx.member, form, clock.now())
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    await ui.show("research.saved", back_to_menu(ui))


GUIDELINE = Form(
    "wg",
    [
        Step("year", "research.ask_g_year", parse=_guideline_year),
        Step("baseline", "research.ask_baseline", parse=_percent),
        Step("upper", "research.ask_upper", parse=_percent),
        Step("lower", "research.ask_lower", parse=_percent),
        Step("minimum_wage", "research.ask_minimum_wage", parse=_amount),
        Step("cpi", "research.ask_cpi", parse=_percent),
    ],
    review="research.guideline_review",
    summary=lambda ui, context: dict(context.form),
    submit=_guideline_submit,
)
GUIDELINE.register(router, LIAISON)


async def _show_finance(
    ui: Ui,
    chat_id: int,
    uow: UnitOfWork,
    user: User,
    enterprise_id: int,
    clock: Clock,
    settings: Settings,
) -> None:
    this_year = today_in(settings.zone, clock.now()).year
    rows = await research.finances_of(
        uow, user, enterprise_id, [this_year - 3, this_year - 2, this_year - 1, this_year]
    )
    enterprise = await enterprises.visible(uow, user, enterprise_id)
    buttons = []
    if user.role is Role.instructor:
        buttons.append(
            [
                button(
                    ui.label("labels.enter_finance"),
                    FinanceCB(enterprise_id=enterprise_id, enter=True),
                )
            ]
        )
    buttons.append([button(ui.label("labels.back"), EnterpriseCB(enterprise_id=enterprise_id))])
    await ui.show("research.finance", keyboard(buttons), name=enterprise.name, rows=rows)


@router.callback_query(FinanceCB.filter(~F.enter))
async def show_finance(query: CallbackQuery, callback_data: FinanceCB, ctx: Ctx) -> None:
    await _show_finance(
        ctx.ui,
        query.from_user.id,
        ctx.uow,
        ctx.member,
        callback_data.enterprise_id,
        ctx.clock,
        ctx.settings,
    )


@instructor.callback_query(FinanceCB.filter(F.enter))
async def enter_finance(query: CallbackQuery, callback_data: FinanceCB, ctx: Ctx) -> None:
    await enterprises.visible(ctx.uow, ctx.member, callback_data.enterprise_id)
    env = Env.of(ctx)
    await FINANCE.start(env, {"enterprise_id": callback_data.enterprise_id})


@liaison.callback_query(MenuCB.filter(F.action == Menu.guideline))
async def enter_guideline(query: CallbackQuery, ctx: Ctx) -> None:
    await GUIDELINE.start(Env.of(ctx))


@router.callback_query(AdviceCB.filter())
async def show_advice(query: CallbackQuery, callback_data: AdviceCB, ctx: Ctx) -> None:
    found = await advice.case_advice(
        ctx.uow, ctx.member, callback_data.case_id, ctx.now(), ctx.settings
    )
    reasons = (
        [ctx.ui.text(key, **params) for key, params in found.suggestion.reasons]
        if found.suggestion
        else []
    )
    await ctx.ui.show(
        "research.advice",
        keyboard(
            [[button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=callback_data.case_id))]]
        ),
        enterprise=found.enterprise,
        year=found.year,
        region=found.region,
        suggestion=found.suggestion,
        reasons=reasons,
        region_missing=ctx.ui.text("research.no_guideline", year=found.year),
    )
