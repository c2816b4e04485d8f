"""Work expenses (工作保障): instructors record them with an optional receipt photo; the
liaison approves or returns them with a reason; monthly totals; an export for the
dedicated-fund audit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.services import access, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.money import parse_money
from bot.services.profiles import today_in
from bot.services.text import text_value
from bot.services.when import day_value
from bot.settings import Settings
from storage.models import Expense, ExpenseStatus, Role, User
from storage.uow import UnitOfWork

CATEGORIES = ("transport", "meals", "travel", "insurance", "phone")
AMOUNT_MAX_YUAN = 100_000
NOTE_MAX, REASON_MAX = 200, 200


def parse_amount(text: str) -> int:
    """'128', '128.5', '１２８元', '￥86.5元' → fen; positive, at most AMOUNT_MAX_YUAN yuan."""
    amount = parse_money(text, Decimal("0.01"), Decimal(AMOUNT_MAX_YUAN))
    if amount is None:
        raise Problem("expenses.bad_amount", max=AMOUNT_MAX_YUAN)
    return int(amount * 100)


def parse_spent_on(text: str, today: date) -> date:
    try:
        day = day_value(text, today)
    except Problem:
        raise Problem("common.bad_date") from None
    if day > today:
        raise Problem("expenses.in_future")
    if day < today - timedelta(days=366):
        raise Problem("expenses.too_old")
    return day


def parse_note(text: str) -> str:
    return text_value(text, 1, NOTE_MAX, "expenses.bad_note")


async def record(
    uow: UnitOfWork,
    user: User,
    category: str,
    amount_fen: int,
    spent_on: date,
    note: str,
    receipt: str,
    now: datetime,
) -> Expense:
    access.instructor(user)
    if category not in CATEGORIES:
        raise Problem("common.expired_button")
    return await uow.expenses.add(
        Expense(
            user_id=user.id or 0,
            org_id=user.org_id,
            category=category,
            amount_fen=amount_fen,
            spent_on=spent_on,
            note=note,
            receipt=receipt,
            created_at=now,
        )
    )


@dataclass(frozen=True)
class Month:
    month: str  # 2026-11
    total_fen: int
    approved_fen: int
    count: int


async def mine(
    uow: UnitOfWork, user: User, now: datetime, settings: Settings
) -> tuple[list[Expense], list[Month]]:
    """This year's expenses, newest first, and the monthly totals."""
    today = today_in(settings.zone, now)
    found = list(await uow.expenses.of_user(user.id or 0, date(today.year, 1, 1)))
    months: dict[str, list[Expense]] = {}
    for expense in found:
        months.setdefault(expense.spent_on.strftime("%Y-%m"), []).append(expense)
    # A returned item is not claimed (it comes back as a new one once fixed): it counts in
    # no total.
    totals = [
        Month(
            month,
            sum(e.amount_fen for e in items if e.status is not ExpenseStatus.returned),
            sum(e.amount_fen for e in items if e.status is ExpenseStatus.approved),
            sum(1 for e in items if e.status is not ExpenseStatus.returned),
        )
        for month, items in sorted(months.items(), reverse=True)
    ]
    return found, totals


async def pending(uow: UnitOfWork, liaison: User) -> list[tuple[Expense, User]]:
    access.liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    return await uow.expenses.pending_under(root.path)


async def pending_count(uow: UnitOfWork, liaison: User) -> int:
    """How many claims of the subtree await review (the list shows the oldest 30)."""
    access.liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    return await uow.expenses.count_pending_under(root.path)


async def _reviewable(uow: UnitOfWork, liaison: User, expense_id: int) -> Expense:
    access.liaison(liaison)
    expense = await uow.expenses.get(expense_id)
    if expense is None:
        raise AccessDenied()
    await orgs.require_within(uow, liaison, expense.org_id)
    if expense.status is not ExpenseStatus.pending:
        raise Problem("expenses.already_reviewed")
    return expense


async def review(
    uow: UnitOfWork, liaison: User, expense_id: int, approve: bool, reason: str, now: datetime
) -> tuple[Expense, User]:
    expense = await _reviewable(uow, liaison, expense_id)
    if not approve and not reason:
        raise Problem("expenses.bad_reason", max=REASON_MAX)
    expense.status = ExpenseStatus.approved if approve else ExpenseStatus.returned
    expense.reason, expense.reviewed_by_id, expense.reviewed_at = reason, liaison.id, now
    owner = await uow.users.get(expense.user_id)
    assert owner is not None
    return expense, owner


async def view(uow: UnitOfWork, user: User, expense_id: int) -> tuple[Expense, User]:
    """One expense, for its owner or a liaison above it."""
    expense = await uow.expenses.get(expense_id)
    if expense is None:
        raise AccessDenied()
    if user.role is Role.liaison:
        await orgs.require_within(uow, user, expense.org_id)
    elif expense.user_id != user.id:
        raise AccessDenied()
    owner = await uow.users.get(expense.user_id)
    assert owner is not None
    return expense, owner


async def for_audit(uow: UnitOfWork, liaison: User, year: int) -> Sequence[tuple[Expense, User]]:
    access.liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    return await uow.expenses.under(root.path, date(year, 1, 1), date(year + 1, 1, 1))
