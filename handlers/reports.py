"""Major-problem reports: two taps and a few words put a problem in front of the union's
liaisons; they acknowledge it, and the reporter sees that they did."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, MenuCB, ReportAckCB, ReportCB, ReportThreadCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu
from bot.presentation.notify import report_to_liaisons
from bot.presentation.rendering import Renderer
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Sender
from bot.services import cases, reports
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT, RoleFilter
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
    rows = [
        [
            button(
                f"💬 {ctx.ui.renderer.format_datetime(r.created_at)} {item['category']}",
                ReportThreadCB(report_id=r.id or 0),
            )
        ]
        for item, r in zip(items, found, strict=True)
    ]
    rows.append([button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ctx.ui.show("reports.list", keyboard(rows), items=items)


# ----- a report's thread: the liaison's instructions, the instructor's answers -----
class ThreadInput(StatesGroup):
    message = State()


async def show_thread(ui: Ui, found: reports.Thread) -> None:
    report = found.report
    rows = [
        [
            button(
                ui.label("labels.report_reply"), ReportThreadCB(report_id=report.id or 0, say=True)
            )
        ],
        [button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))],
    ]
    await ui.show(
        "reports.thread",
        keyboard(rows),
        at=report.created_at,
        category=ui.label(f"labels.category_{report.category}"),
        status=ui.enum(report.status),
        reporter=found.reporter.display_name,
        text=report.text,
        messages=[(author.display_name, m.at, m.text) for m, author in found.messages],
    )


@router.callback_query(ReportThreadCB.filter(~F.say))
async def open_thread(query: CallbackQuery, callback_data: ReportThreadCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_thread(ctx.ui, await reports.thread(ctx.uow, ctx.member, callback_data.report_id))


@router.callback_query(ReportThreadCB.filter(F.say))
async def ask_message(query: CallbackQuery, callback_data: ReportThreadCB, ctx: Ctx) -> None:
    found = await reports.thread(ctx.uow, ctx.member, callback_data.report_id)  # access first
    await ctx.form_state.set_state(ThreadInput.message)
    await ctx.form_state.set_data({"report_id": callback_data.report_id})
    back = keyboard(
        [[button(ctx.ui.label("labels.cancel"), ReportThreadCB(report_id=callback_data.report_id))]]
    )
    mine = found.reporter.id == ctx.member.id
    await ctx.ui.reply("reports.ask_message", back, mine=mine, max=reports.TEXT_MAX)


@router.message(ThreadInput.message, TEXT_INPUT)
async def got_message(message: Message, ctx: Ctx) -> None:
    report_id = int((await ctx.form_state.get_data())["report_id"])
    try:
        said = await reports.say(ctx.uow, ctx.member, report_id, message.text or "", ctx.now())
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    for person in said.tell:
        other = ctx.ui.for_locale(person.locale)
        await ctx.sender.send_message(
            person.telegram_id,
            other.text(
                "reports.new_message", author=ctx.member.display_name, text=said.message.text
            ),
            reply_markup=keyboard(
                [[button(other.label("labels.report_thread"), ReportThreadCB(report_id=report_id))]]
            ),
        )
    await show_thread(ctx.ui, await reports.thread(ctx.uow, ctx.member, report_id))


@router.message(ThreadInput.message)
async def needs_message(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")


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
