"""Research data: an enterprise's yearly figures (instructors), the region's wage guideline
(liaisons), and the suggested wage rise on a case."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram import F
from aiogram.types import BufferedInputFile, CallbackQuery

from bot.callbacks import AdviceCB, CaseCB, CostingCB, EnterpriseCB, FinanceCB, Menu, MenuCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation import charts
from bot.presentation.keyboards import back_to_menu
from bot.presentation.ui import Ui, button, keyboard
from bot.services import advice, enterprises, research
from bot.services import cases as cases_service
from bot.services.errors import Problem
from bot.services.money import parse_money, plain
from bot.services.numbers import parse_int
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
    case_id = callback_data.case_id
    rows = [
        [button(ctx.ui.label("labels.costing"), CostingCB(case_id=case_id))],
        [button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=case_id))],
    ]
    await ctx.ui.show(
        "research.advice",
        keyboard(rows),
        enterprise=found.enterprise,
        year=found.year,
        region=found.region,
        suggestion=found.suggestion,
        reasons=reasons,
        region_missing=ctx.ui.text("research.no_guideline", year=found.year),
    )


# ----- costing a package of proposals (a form) -----
# rise → front-line rise → front-line people and their average → a new enterprise minimum →
# people under it and their average → an allowance and how many get it → an overtime base
# raise and the overtime hours → review (the package costed, against the guideline, the CPI
# and the workers' expectation; missing figures named) → 提交 keeps it on the case.
def _pct(text: str, _context: StepContext) -> str:
    return str(research.parse_percent(text))


def _money(text: str, _context: StepContext) -> str:
    amount = parse_money(text, Decimal(0), Decimal(1_000_000))
    if amount is None:
        raise Problem("research.bad_costing_money")
    return str(amount)


def _people(text: str, _context: StepContext) -> str:
    found = parse_int(text, 0, 10_000_000)
    if found is None:
        raise Problem("research.bad_costing_count")
    return str(found)


PARSERS = {"pct": _pct, "money": _money, "int": _people}


async def _costing_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    ctx = context.ctx
    assert ctx is not None
    case_id = int(context.form["case_id"])
    found = await advice.case_costing(
        ctx.uow, ctx.member, case_id, context.form, ctx.now(), ctx.settings
    )
    return _costing_view(ui, found)


def _costing_view(ui: Ui, found: advice.CaseCosting) -> dict[str, Any]:
    g, share = found.guideline, found.package.share
    return {
        "items": [
            (
                ui.label(f"labels.costing_{i.key}"),
                i.cost,
                [ui.label(f"labels.figure_{m}") for m in i.missing],
            )
            for i in found.package.items
        ],
        "total": found.package.total,
        "share": share,
        "where": found.position,
        "lines": (plain(g.lower_pct), plain(g.baseline_pct), plain(g.upper_pct)) if g else None,
        "cpi": plain(g.cpi_pct) if g else None,
        "median": plain(found.median) if found.median is not None else None,
        "missing": [ui.label(f"labels.figure_{m}") for m in found.package.missing],
    }


def costing_chart(ui: Ui, found: advice.CaseCosting) -> list[charts.Bars]:
    """Two panels: each proposal's yearly cost and the total; the package as a share of
    last year's wage bill beside the guideline's lines, the CPI and the workers' median."""
    costed = [i for i in found.package.items if i.cost is not None]
    cost = charts.Bars(
        ui.label("labels.costing_chart_cost"),
        [ui.label(f"labels.costing_{i.key}") for i in costed] + [ui.label("labels.costing_total")],
        [float(i.cost or 0) for i in costed] + [float(found.package.total)],
        horizontal=True,
        colors=["#2c7fb8"] * len(costed) + ["#c0392b"],
        unit=f" {ui.label('labels.costing_unit')}",
    )
    g, share = found.guideline, found.package.share
    marks: list[tuple[str, Decimal, str]] = []
    if share is not None:
        marks.append((ui.label("labels.costing_package"), share, "#c0392b"))
    if g is not None:
        marks += [
            (ui.label("labels.guideline_lower"), g.lower_pct, "#95a5a6"),
            (ui.label("labels.guideline_baseline"), g.baseline_pct, "#7f8c8d"),
            (ui.label("labels.guideline_upper"), g.upper_pct, "#95a5a6"),
        ]
        if g.cpi_pct is not None:
            marks.append(("CPI", g.cpi_pct, "#27ae60"))
    if found.median is not None:
        marks.append((ui.label("labels.costing_median"), found.median, "#8e44ad"))
    shares = charts.Bars(
        ui.label("labels.costing_chart_share"),
        [label for label, _, _ in marks],
        [float(value) for _, value, _ in marks],
        horizontal=True,
        colors=[colour for _, _, colour in marks],
        unit="%",
    )
    return [cost, shares]


async def _save_costing(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    await advice.save_costing(ctx.uow, ctx.member, case_id, form, ctx.now())
    found = await advice.case_costing(ctx.uow, ctx.member, case_id, form, ctx.now(), ctx.settings)
    await ctx.form_state.clear()
    back = keyboard([[button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=case_id))]])
    ui = ctx.ui
    text = ui.text("research.costing_review", **_costing_view(ui, found))
    await ui.show_html(f"{text}\n{ui.text('research.costing_saved')}", back)
    panels = [p for p in costing_chart(ui, found) if p.values]
    if panels:
        png = await ctx.offload.run(charts.bar_charts, panels, ui.label("labels.costing_chart"))
        await ctx.bot.send_photo(query.from_user.id, BufferedInputFile(png, filename="costing.png"))


COSTING = Form(
    "co",
    [
        Step(
            name,
            f"research.ask_costing_{name}",
            parse=PARSERS[kind],
            optional=name != "rise_pct",
            label=f"labels.figure_{name}",
        )
        for name, kind in advice.COSTING_FIELDS.items()
    ],
    review="research.costing_review",
    summary=_costing_summary,
    submit=_save_costing,
)
COSTING.register(router, INSTRUCTOR)


@instructor.callback_query(CostingCB.filter())
async def start_costing(query: CallbackQuery, callback_data: CostingCB, ctx: Ctx) -> None:
    case = await cases_service.editable(ctx.uow, ctx.member, callback_data.case_id)  # first
    earlier = {k: v for k, v in (case.costing or {}).items() if v not in ("", None)}
    await COSTING.start(Env.of(ctx), {"case_id": callback_data.case_id, **earlier})
