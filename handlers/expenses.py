"""Work expenses: instructors record them (category, amount, date, note, receipt photo) and
see monthly totals; liaisons approve or return them with a reason and export the year for
the dedicated-fund audit."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import ExpenseCB, MenuCB
from bot.clock import Clock
from bot.context import Ctx
from bot.offload import Offloader
from bot.presentation import liaison_views as views
from bot.presentation.exports import workbook
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Sender
from bot.services import expenses
from bot.services.errors import Problem
from bot.services.profiles import today_in
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import OWN_ANSWER, SENDS_FILE, TEXT_INPUT, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("expenses")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
LIAISON = RoleFilter(Role.liaison)
ICONS = {"pending": "⏳", "approved": "✅", "returned": "↩️"}


class Return(StatesGroup):
    reason = State()


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


# ----- the instructor's side -----
@router.callback_query(MenuCB.filter(F.action == "expenses"), INSTRUCTOR)
async def mine(
    query: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
) -> None:
    await state.clear()
    found, months = await expenses.mine(uow, user, clock.now(), settings)
    rows = [
        [button(ui.label("labels.expense_new"), ExpenseCB(action="new"))],
        [button(ui.label("labels.back_to_menu"), MenuCB(action="home"))],
    ]
    await ui.show(
        "expenses.mine",
        keyboard(rows),
        months=[(m.month, yuan(m.total_fen), yuan(m.approved_fen), m.count) for m in months[:3]],
        items=[
            {
                "icon": ICONS[e.status],
                "day": e.spent_on,
                "category": ui.label(f"labels.expense_{e.category}"),
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
        ctx.clock.now(),
    )
    await ctx.form_state.clear()
    back = keyboard([[button(ui.label("labels.expense_list"), MenuCB(action="expenses"))]])
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


@router.callback_query(ExpenseCB.filter(F.action == "new"), INSTRUCTOR)
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    await FORM.start(Env.of(ctx))


# ----- the liaison's side -----
@router.callback_query(MenuCB.filter(F.action == "expenses"), LIAISON)
async def to_review(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, user: User, ui: Ui
) -> None:
    await state.clear()
    found = await expenses.pending(uow, user)
    rows = [
        [
            button(
                " · ".join(
                    (
                        owner.display_name,
                        ui.label(f"labels.expense_{e.category}"),
                        yuan(e.amount_fen),
                    )
                )[:60],
                ExpenseCB(action="show", expense_id=e.id or 0),
            )
        ]
        for e, owner in found
    ]
    rows.append([button(ui.label("labels.expense_export"), ExpenseCB(action="export"))])
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action="home"))])
    await ui.show("expenses.pending", keyboard(rows), count=len(found))


@router.callback_query(ExpenseCB.filter(F.action == "show"))
async def show(
    query: CallbackQuery, callback_data: ExpenseCB, uow: UnitOfWork, user: User, ui: Ui, bot: Bot
) -> None:
    expense, owner = await expenses.view(uow, user, callback_data.expense_id)
    rows = []
    if user.role is Role.liaison and expense.status == "pending":
        eid = expense.id or 0
        rows.append(
            [
                button(
                    ui.label("labels.expense_approve"), ExpenseCB(action="approve", expense_id=eid)
                ),
                button(
                    ui.label("labels.expense_return"), ExpenseCB(action="return", expense_id=eid)
                ),
            ]
        )
    rows.append([button(ui.label("labels.expense_list"), MenuCB(action="expenses"))])
    context = {
        "name": owner.display_name,
        "category": ui.label(f"labels.expense_{expense.category}"),
        "amount": yuan(expense.amount_fen),
        "day": expense.spent_on,
        "note": expense.note,
        "status": ui.enum(expense.status),
        "reason": expense.reason,
    }
    if expense.receipt:
        await bot.send_photo(query.from_user.id, expense.receipt)
    await ui.show("expenses.card", keyboard(rows), **context)


async def _tell_owner(sender: Sender, ui: Ui, owner: User, key: str, **context: Any) -> None:
    await sender.send_message(owner.telegram_id, ui.for_locale(owner.locale).text(key, **context))


@router.callback_query(ExpenseCB.filter(F.action == "approve"), LIAISON, flags=OWN_ANSWER)
async def approve(
    query: CallbackQuery,
    callback_data: ExpenseCB,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    sender: Sender,
) -> None:
    expense, owner = await expenses.review(
        uow, user, callback_data.expense_id, True, "", clock.now()
    )
    await query.answer(ui.label("labels.expense_approved"))
    await _tell_owner(
        sender,
        ui,
        owner,
        "expenses.approved_note",
        amount=yuan(expense.amount_fen),
        day=expense.spent_on,
    )
    await to_review_list(ui, query.from_user.id, uow, user)


async def to_review_list(ui: Ui, chat_id: int, uow: UnitOfWork, user: User) -> None:
    found = await expenses.pending(uow, user)
    await ui.show("expenses.pending_left", count=len(found))


@router.callback_query(ExpenseCB.filter(F.action == "return"), LIAISON)
async def ask_reason(
    query: CallbackQuery,
    callback_data: ExpenseCB,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
) -> None:
    await expenses.view(uow, user, callback_data.expense_id)
    await state.set_state(Return.reason)
    await state.set_data({"expense_id": callback_data.expense_id})
    await ui.send(query.from_user.id, "expenses.ask_reason", max=expenses.REASON_MAX)


@router.message(Return.reason, TEXT_INPUT, LIAISON)
async def got_reason(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    sender: Sender,
) -> None:
    expense_id = int((await state.get_data())["expense_id"])
    try:
        reason = expenses.parse_note(message.text or "")
        expense, owner = await expenses.review(uow, user, expense_id, False, reason, clock.now())
    except Problem as problem:
        await ui.send(message.chat.id, problem.key, **problem.params)
        return
    await state.clear()
    await ui.send(message.chat.id, "expenses.returned")
    await _tell_owner(
        sender,
        ui,
        owner,
        "expenses.returned_note",
        amount=yuan(expense.amount_fen),
        day=expense.spent_on,
        reason=reason,
    )


@router.callback_query(ExpenseCB.filter(F.action == "export"), LIAISON, flags=SENDS_FILE)
async def export(
    query: CallbackQuery,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    offload: Offloader,
) -> None:
    year = clock.now().astimezone(settings.zone).year
    found = await expenses.for_audit(uow, user, year)
    data = await offload.run(workbook, views.expense_sheets(ui, list(found)))
    name = f"{ui.label('labels.expense_file')}-{year}.xlsx"
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(data, filename=name),
        caption=ui.text("expenses.export_caption", year=year, count=len(found)),
    )
