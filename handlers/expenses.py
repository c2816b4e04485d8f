"""Work expenses: instructors record them (category, amount, date, note, receipt photo) and
see monthly totals; liaisons approve or return them with a reason and export the year for
the dedicated-fund audit."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot, F
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import ExpenseAct, ExpenseCB, Menu, MenuCB
from bot.context import Ctx
from bot.offload import Offloader
from bot.presentation import liaison_views as views
from bot.presentation.exports import workbook
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Sender
from bot.services import expenses
from bot.services.errors import Problem
from bot.services.profiles import today_in
from handlers.blueprint import Blueprint
from handlers.filters import OWN_ANSWER, SENDS_FILE, TEXT_INPUT, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("expenses")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
LIAISON = RoleFilter(Role.liaison)
liaison = router.scoped(LIAISON)  # the handlers only a liaison reaches
ICONS = {"pending": "⏳", "approved": "✅", "returned": "↩️"}


class Return(StatesGroup):
    reason = State()


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


# ----- the instructor's side -----
@instructor.callback_query(MenuCB.filter(F.action == Menu.expenses))
async def mine(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    found, months = await expenses.mine(ctx.uow, ctx.member, ctx.now(), ctx.settings)
    rows = [
        [button(ctx.ui.label("labels.expense_new"), ExpenseCB(action=ExpenseAct.new))],
        [button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))],
    ]
    await ctx.ui.show(
        "expenses.mine",
        keyboard(rows),
        months=[(m.month, yuan(m.total_fen), yuan(m.approved_fen), m.count) for m in months[:3]],
        items=[
            {
                "icon": ICONS[e.status],
                "day": e.spent_on,
                "category": ctx.ui.label(f"labels.expense_{e.category}"),
                "amount": yuan(e.amount_fen),
                "reason": e.reason,
            }
            for e in found[:10]
        ],
    )


def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    return {
        "category": ui.label(f"labels.expense_{form['category']}") if form.get("category") else "",
        "amount": yuan(int(form["amount"])) if form.get("amount") else "",
        "day": form.get("spent_on", ""),
        "note": form.get("note", ""),
        "receipt": bool(form.get("receipt")),
    }


async def _save(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    await expenses.record(
        ctx.uow,
        ctx.member,
        form["category"],
        int(form["amount"]),
        date.fromisoformat(form["spent_on"]),
        form.get("note", ""),
        form.get("receipt", ""),
        ctx.now(),
    )
    await ctx.form_state.clear()
    back = keyboard([[button(ui.label("labels.expense_list"), MenuCB(action=Menu.expenses))]])
    await ui.show("expenses.saved", back, amount=yuan(int(form["amount"])))


FORM = Form(
    "exp",
    [
        Step(
            "category",
            "expenses.ask_category",
            choices=tuple((f"labels.expense_{c}", c) for c in expenses.CATEGORIES),
        ),
        Step("amount", "expenses.ask_amount", parse=lambda t, _: expenses.parse_amount(t)),
        Step(
            "spent_on",
            "expenses.ask_date",
            parse=lambda t, c: expenses.parse_spent_on(
                t, today_in(c.settings.zone, c.now)
            ).isoformat(),
        ),
        Step("note", "expenses.ask_note", parse=lambda t, _: expenses.parse_note(t), optional=True),
        Step("receipt", "expenses.ask_receipt", photo=True, optional=True),
    ],
    review="expenses.review",
    summary=_summary,
    submit=_save,
)
FORM.register(router, INSTRUCTOR)


@instructor.callback_query(ExpenseCB.filter(F.action == ExpenseAct.new))
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    await FORM.start(Env.of(ctx))


# ----- the liaison's side -----
@liaison.callback_query(MenuCB.filter(F.action == Menu.expenses))
async def to_review(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    found = await expenses.pending(ctx.uow, ctx.member)
    rows = [
        [
            button(
                " · ".join(
                    (
                        owner.display_name,
                        ctx.ui.label(f"labels.expense_{e.category}"),
                        yuan(e.amount_fen),
                    )
                )[:60],
                ExpenseCB(action=ExpenseAct.show, expense_id=e.id or 0),
            )
        ]
        for e, owner in found
    ]
    rows.append(
        [button(ctx.ui.label("labels.expense_export"), ExpenseCB(action=ExpenseAct.export))]
    )
    rows.append([button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    count = await expenses.pending_count(ctx.uow, ctx.member)
    await ctx.ui.show("expenses.pending", keyboard(rows), count=count)


@router.callback_query(ExpenseCB.filter(F.action == ExpenseAct.show))
async def show(query: CallbackQuery, callback_data: ExpenseCB, bot: Bot, ctx: Ctx) -> None:
    expense, owner = await expenses.view(ctx.uow, ctx.member, callback_data.expense_id)
    rows = []
    if ctx.member.role is Role.liaison and expense.status == "pending":
        eid = expense.id or 0
        rows.append(
            [
                button(
                    ctx.ui.label("labels.expense_approve"),
                    ExpenseCB(action=ExpenseAct.approve, expense_id=eid),
                ),
                button(
                    ctx.ui.label("labels.expense_return"),
                    ExpenseCB(action=ExpenseAct.return_, expense_id=eid),
                ),
            ]
        )
    rows.append([button(ctx.ui.label("labels.expense_list"), MenuCB(action=Menu.expenses))])
    context = {
        "name": owner.display_name,
        "category": ctx.ui.label(f"labels.expense_{expense.category}"),
        "amount": yuan(expense.amount_fen),
        "day": expense.spent_on,
        "note": expense.note,
        "status": ctx.ui.enum(expense.status),
        "reason": expense.reason,
    }
    if expense.receipt:
        await bot.send_photo(query.from_user.id, expense.receipt)
    await ctx.ui.show("expenses.card", keyboard(rows), **context)


async def _tell_owner(sender: Sender, ui: Ui, owner: User, key: str, **context: Any) -> None:
    await sender.send_message(owner.telegram_id, ui.for_locale(owner.locale).text(key, **context))


@liaison.callback_query(ExpenseCB.filter(F.action == ExpenseAct.approve), flags=OWN_ANSWER)
async def approve(query: CallbackQuery, callback_data: ExpenseCB, sender: Sender, ctx: Ctx) -> None:
    expense, owner = await expenses.review(
        ctx.uow, ctx.member, callback_data.expense_id, True, "", ctx.now()
    )
    await query.answer(ctx.ui.label("labels.expense_approved"))
    await _tell_owner(
        sender,
        ctx.ui,
        owner,
        "expenses.approved_note",
        amount=yuan(expense.amount_fen),
        day=expense.spent_on,
    )
    await to_review_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member)


async def to_review_list(ui: Ui, chat_id: int, uow: UnitOfWork, user: User) -> None:
    await ui.show("expenses.pending_left", count=await expenses.pending_count(uow, user))


@liaison.callback_query(ExpenseCB.filter(F.action == ExpenseAct.return_))
async def ask_reason(query: CallbackQuery, callback_data: ExpenseCB, ctx: Ctx) -> None:
    await expenses.view(ctx.uow, ctx.member, callback_data.expense_id)
    await ctx.form_state.set_state(Return.reason)
    await ctx.form_state.set_data({"expense_id": callback_data.expense_id})
    await ctx.ui.send(query.from_user.id, "expenses.ask_reason", max=expenses.REASON_MAX)


@liaison.message(Return.reason, TEXT_INPUT)
async def got_reason(message: Message, sender: Sender, ctx: Ctx) -> None:
    expense_id = int((await ctx.form_state.get_data())["expense_id"])
    try:
        reason = expenses.parse_note(message.text or "")
        expense, owner = await expenses.review(
            ctx.uow, ctx.member, expense_id, False, reason, ctx.now()
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    await ctx.ui.send(message.chat.id, "expenses.returned")
    await _tell_owner(
        sender,
        ctx.ui,
        owner,
        "expenses.returned_note",
        amount=yuan(expense.amount_fen),
        day=expense.spent_on,
        reason=reason,
    )


@liaison.callback_query(ExpenseCB.filter(F.action == ExpenseAct.export), flags=SENDS_FILE)
async def export(query: CallbackQuery, offload: Offloader, ctx: Ctx) -> None:
    year = ctx.now().astimezone(ctx.settings.zone).year
    found = await expenses.for_audit(ctx.uow, ctx.member, year)
    await ctx.ui.send_export(
        "expenses.exporting",
        len(found),
        lambda: offload.run(workbook, views.expense_sheets(ctx.ui, list(found))),
        f"{ctx.ui.label('labels.expense_file')}-{year}.xlsx",
        ctx.ui.text("expenses.export_caption", year=year, count=len(found)),
    )
