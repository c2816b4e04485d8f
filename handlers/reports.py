"""Major-problem reports: two taps and a few words put a problem in front of the union's
liaisons; they acknowledge it, and the reporter sees that they did."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import Menu, MenuCB, ReportAckCB, ReportCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu
from bot.presentation.notify import report_to_liaisons
from bot.presentation.rendering import Renderer
from bot.presentation.ui import Ui
from bot.sender import Sender
from bot.services import cases, reports
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role

router = Blueprint("reports")
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
LIAISON = RoleFilter(Role.liaison)
liaison = router.scoped(LIAISON)  # the handlers only a liaison reaches


def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    return {
        "category": ui.label(f"labels.category_{form['category']}"),
        "urgency": ui.label(f"labels.urgency_{form['urgency']}"),
        "case": form.get("case_label", ""),
        "text": form["text"],
        "photo": bool(form.get("photo")),
    }


async def _submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    state: FSMContext = ctx.form_state
    clock: Clock = ctx.clock
    settings: Settings = ctx.settings
    case_id = int(form.get("case_id") or 0) or None
    try:
        filed = await reports.file(ctx.uow, ctx.member, form, clock.now(), case_id)
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, back_to_menu(ui), **problem.params)
        return
    await state.clear()
    renderer: Renderer = ctx.renderer
    sender: Sender = ctx.sender
    delivered = await report_to_liaisons(
        sender,
        renderer,
        filed.report,
        filed.reporter,
        filed.reported_in,
        filed.recipients,
        form.get("case_label", ""),
    )
    if delivered:
        await ui.show(
            "reports.filed",
            back_to_menu(ui),
            count=delivered,
            org=filed.org.name,
            minutes=settings.report_escalation_minutes,
        )
    else:
        await ui.show("reports.filed_nobody", back_to_menu(ui), org=filed.org.name)


FORM = Form(
    "rp",
    [
        Step(
            "category",
            "reports.ask_category",
            choices=tuple((f"labels.category_{c}", c) for c in reports.CATEGORIES),
        ),
        Step(
            "urgency",
            "reports.ask_urgency",
            choices=(("labels.urgency_urgent", "urgent"), ("labels.urgency_normal", "normal")),
        ),
        Step("text", "reports.ask_text", parse=lambda text, _: reports.parse_text(text)),
        Step("photo", "reports.ask_photo", photo=True, optional=True),
    ],
    review="reports.review",
    summary=_summary,
    submit=_submit,
)


FORM.register(router, INSTRUCTOR)


@instructor.callback_query(ReportCB.filter())
async def start_report(query: CallbackQuery, callback_data: ReportCB, ctx: Ctx) -> None:
    initial: dict[str, Any] = {}
    if callback_data.case_id:
        view = await cases.view(
            ctx.uow,
            ctx.member,
            callback_data.case_id,
            ctx.now(),
            ctx.settings.zone,
            ctx.settings.legal,
        )
        initial = {
            "case_id": callback_data.case_id,
            "case_label": "、".join(e.name for e in view.enterprises),
        }
    await FORM.start(Env.of(ctx), initial)


@instructor.callback_query(MenuCB.filter(F.action == Menu.my_reports))
async def my_reports(query: CallbackQuery, ctx: Ctx) -> None:
    found = await reports.mine(ctx.uow, ctx.member)
    items = [
        {
            "at": r.created_at,
            "category": ctx.ui.label(f"labels.category_{r.category}"),
            "status": ctx.ui.enum(r.status),
        }
        for r in found
    ]
    await ctx.ui.show("reports.list", back_to_menu(ctx.ui), items=items)


@liaison.callback_query(ReportAckCB.filter())
async def acknowledge(
    query: CallbackQuery, callback_data: ReportAckCB, sender: Sender, ctx: Ctx
) -> None:
    done = await reports.acknowledge(ctx.uow, ctx.member, callback_data.report_id, ctx.now())
    if not done.newly:
        await ctx.ui.send(query.from_user.id, "reports.already_acknowledged")
        return
    await ctx.ui.send(query.from_user.id, "reports.acknowledged")
    other = ctx.ui.for_locale(done.reporter.locale)
    await sender.send_message(
        done.reporter.telegram_id,
        other.text("reports.for_reporter", liaison=ctx.member.display_name, org=done.union.name),
    )
