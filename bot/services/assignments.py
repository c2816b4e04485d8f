"""Assignments (派遣任务): a liaison gives a task to one, several or all instructors of the
union subtree. Each recipient has a ledger line (delivery, accepted, declined with a reason,
done); the task arrives as an outbox row with Accept / Decline, is reminded when unanswered
and then escalated to the liaison, and its due day is reminded to those who accepted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.services import access, enterprises, orgs, reminders
from bot.services.errors import AccessDenied, Problem
from bot.services.paging import Paged, read_page
from bot.services.text import text_value
from bot.services.when import day_value
from bot.settings import Settings
from storage.models import (
    Assignment,
    AssignmentKind,
    AssignmentRecipient,
    Enterprise,
    RecipientStatus,
    Reminder,
    ReminderStatus,
    Role,
    User,
)
from storage.uow import UnitOfWork

TEXT_MAX, REASON_MAX = 1000, 300
MORNING = reminders.MORNING


def parse_description(text: str) -> str:
    value = "\n".join(" ".join(line.split()) for line in text.strip().splitlines()).strip()
    if not 2 <= len(value) <= TEXT_MAX:
        raise Problem("assignments.bad_text", max=TEXT_MAX)
    return value


def parse_reason(text: str) -> str:
    return text_value(text, 2, REASON_MAX, "assignments.bad_reason")


def parse_due(text: str, today: date) -> date:
    try:
        due = day_value(text, today)
    except Problem:
        raise Problem("common.bad_date") from None
    if due < today:
        raise Problem("assignments.in_past")
    if due > today + timedelta(days=366):
        raise Problem("assignments.too_far")
    return due


async def find_enterprise(uow: UnitOfWork, liaison: User, text: str) -> Enterprise:
    """The one enterprise of the subtree the text names; several or none: say which."""
    found = list(await enterprises.search(uow, liaison, text))
    exact = [e for e in found if e.name == text.strip()]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]
    if not found:
        raise Problem("assignments.no_enterprise")
    raise Problem("assignments.which_enterprise", names="、".join(e.name for e in found[:8]))


async def audience(uow: UnitOfWork, liaison: User) -> list[User]:
    _liaison(liaison)
    return list(await uow.users.instructors_under((await orgs.org_of(uow, liaison)).path))


def _liaison(user: User) -> None:
    access.liaison(user)


def _plan(
    assignment: Assignment, recipient: User, now: datetime, settings: Settings, title: str
) -> list[Reminder]:
    """The task now with its buttons, a nudge when unanswered, an alert to the liaison."""
    aid, uid = assignment.id or 0, recipient.id or 0
    params = {
        "kind": assignment.kind.value,
        "description": assignment.description,
        "due": assignment.due_on.isoformat(),
        "enterprise": title,
        "name": recipient.display_name,
    }
    nudge = now + timedelta(hours=settings.assignment_remind_hours)
    escalate = now + timedelta(hours=settings.assignment_escalate_hours)
    base, liaison = f"assign:{aid}:{uid}", assignment.created_by_id
    rows = [  # to, key, due, text, buttons
        (uid, f"{base}:send", now, "reminders.assignment", "answer"),
        (uid, f"{base}:nudge", nudge, "reminders.assignment_nudge", "answer"),
        (liaison, f"{base}:escalate", escalate, "reminders.assignment_escalate", ""),
    ]
    return [
        Reminder(
            recipient_id=to,
            kind="assignment",
            idem_key=key,
            due_at=due,
            next_attempt_at=due,
            payload={"key": text, "params": params, "buttons": buttons, "assignment_id": aid},
            status=ReminderStatus.pending,
            created_at=now,
        )
        for to, key, due, text, buttons in rows
    ]


async def create(
    uow: UnitOfWork,
    liaison: User,
    kind: AssignmentKind,
    enterprise_id: int | None,
    due_on: date,
    description: str,
    invitee_ids: list[int] | None,
    now: datetime,
    settings: Settings,
) -> tuple[Assignment, int]:
    everyone = await audience(uow, liaison)
    chosen = everyone if invitee_ids is None else [u for u in everyone if u.id in set(invitee_ids)]
    if not chosen:
        raise Problem("assignments.nobody")
    title = ""
    if enterprise_id:
        title = (await enterprises.visible(uow, liaison, enterprise_id)).name
    assignment = await uow.assignments.add(
        Assignment(
            org_id=liaison.org_id,
            created_by_id=liaison.id or 0,
            kind=kind,
            enterprise_id=enterprise_id,
            due_on=due_on,
            description=description,
            created_at=now,
        )
    )
    for person in chosen:
        await uow.assignments.add_recipient(
            AssignmentRecipient(assignment_id=assignment.id or 0, user_id=person.id or 0)
        )
        for reminder in _plan(assignment, person, now, settings, title):
            await uow.reminders.upsert(reminder)
    return assignment, len(chosen)


async def _line(
    uow: UnitOfWork, user: User, assignment_id: int
) -> tuple[Assignment, AssignmentRecipient]:
    assignment = await uow.assignments.get(assignment_id)
    line = await uow.assignments.line(assignment_id, user.id or 0)
    if assignment is None or line is None:
        raise AccessDenied()
    return assignment, line


async def respond(
    uow: UnitOfWork,
    user: User,
    assignment_id: int,
    answer: str,
    now: datetime,
    settings: Settings,
    reason: str = "",
) -> Assignment:
    assignment, line = await _line(uow, user, assignment_id)
    if answer not in ("accepted", "declined"):
        raise Problem("common.expired_button")
    if line.status is RecipientStatus.done:
        raise Problem("assignments.already_done")
    if answer == "declined" and not reason:
        raise Problem("assignments.bad_reason", max=REASON_MAX)
    line.status, line.reason, line.responded_at = RecipientStatus(answer), reason, now
    await uow.reminders.cancel_pending(f"assign:{assignment_id}:{user.id}:", set())
    if answer == "accepted" and reminders.at_local(assignment.due_on, MORNING, settings.zone) > now:
        due = reminders.at_local(assignment.due_on, MORNING, settings.zone)
        await uow.reminders.upsert(
            Reminder(
                recipient_id=user.id or 0,
                kind="duty",
                idem_key=f"assign:{assignment_id}:{user.id}:due",
                due_at=due,
                next_attempt_at=due,
                payload={
                    "key": "reminders.assignment_due",
                    "params": {"description": assignment.description[:100]},
                },
                status=ReminderStatus.pending,
                created_at=now,
            )
        )
    return assignment


@dataclass(frozen=True)
class Declined:
    """Who is told that a task was declined: its author, or, if they are gone, the liaisons
    nearest above the task's union; and the instructor's name as the roster knows it."""

    assignment: Assignment
    instructor: str
    reason: str
    liaisons: list[User]


async def decline(
    uow: UnitOfWork,
    user: User,
    assignment_id: int,
    reason_text: str,
    now: datetime,
    settings: Settings,
) -> Declined:
    reason = parse_reason(reason_text)
    assignment = await respond(uow, user, assignment_id, "declined", now, settings, reason)
    author = await uow.users.get(assignment.created_by_id)
    if author is not None and author.active and author.role is Role.liaison:
        told = [author]
    else:
        union = await uow.orgs.get(assignment.org_id)
        told = (await orgs.nearest_liaisons(uow, union))[1] if union else []
    profile = await uow.profiles.by_user(user.id or 0)
    name = profile.name if profile else user.display_name
    return Declined(assignment, name, reason, told)


async def done(uow: UnitOfWork, user: User, assignment_id: int, now: datetime) -> Assignment:
    assignment, line = await _line(uow, user, assignment_id)
    if line.status is not RecipientStatus.accepted:
        raise Problem("assignments.accept_first")
    line.status, line.done_at = RecipientStatus.done, now
    await uow.reminders.cancel_pending(f"assign:{assignment_id}:{user.id}:", set())
    return assignment


@dataclass(frozen=True)
class Ledger:
    assignment: Assignment
    enterprise: str
    rows: list[tuple[User, AssignmentRecipient, str]]  # person, line, delivery

    @property
    def counts(self) -> Counter[str]:
        return Counter(line.status for _, line, _ in self.rows) + Counter(
            delivery for _, _, delivery in self.rows
        )


async def ledger(uow: UnitOfWork, liaison: User, assignment_id: int) -> Ledger:
    """The status board: per recipient, the delivery of the task and their answer."""
    assignment = await uow.assignments.get(assignment_id)
    if assignment is None:
        raise AccessDenied()
    _liaison(liaison)
    await orgs.require_within(uow, liaison, assignment.org_id)
    rows = []
    deliveries = await uow.reminders.statuses(f"assign:{assignment_id}:", ":send")
    for person, line in await uow.assignments.lines(assignment_id):
        state = deliveries.get(f"assign:{assignment_id}:{person.id}:send", ReminderStatus.pending)
        rows.append((person, line, state.value))
    name = ""
    if assignment.enterprise_id:
        firm = await uow.enterprises.get(assignment.enterprise_id)
        name = firm.name if firm else ""
    return Ledger(assignment, name, rows)


async def listing(
    uow: UnitOfWork, user: User
) -> list[tuple[Assignment, AssignmentRecipient | None]]:
    """A liaison's assignments in their subtree, or an instructor's own."""
    if user.role is Role.liaison:
        root = await orgs.org_of(uow, user)
        return [(a, None) for a in await uow.assignments.in_subtree(root.path)]
    return [(a, line) for a, line in await uow.assignments.of_recipient(user.id or 0)]


TaskLine = tuple[Assignment, AssignmentRecipient | None]


@dataclass(frozen=True)
class TaskRow:
    """A task as the dashboard lists it: for a liaison, its recipients counted by answer;
    for an instructor, their own line."""

    assignment: Assignment
    enterprise: str
    counts: dict[str, int]
    line: AssignmentRecipient | None
    overdue: bool


async def board(
    uow: UnitOfWork, user: User, overdue_only: bool, page: int, per_page: int, today: date
) -> Paged[TaskRow]:
    """The tasks dashboard: a liaison's subtree's tasks, or an instructor's own, newest
    first; `overdue_only`: past their day and not finished by someone. Paged in SQL, with
    the page's counts and enterprises in one query each."""
    before = today if overdue_only else None

    async def fetch(offset: int, limit: int) -> tuple[list[TaskLine], int]:
        if user.role is Role.liaison:
            root = await orgs.org_of(uow, user)
            tasks, total = await uow.assignments.page_in_subtree(root.path, offset, limit, before)
            return [(a, None) for a in tasks], total
        if user.role is Role.instructor:
            own, total = await uow.assignments.page_of_recipient(
                user.id or 0, offset, limit, before
            )
            return [(a, line) for a, line in own], total
        raise AccessDenied()

    listed = await read_page(fetch, page, per_page)
    found = listed.rows
    ids = [a.id or 0 for a, _ in found]
    tally = await uow.assignments.status_counts(ids) if user.role is Role.liaison else {}
    names = await uow.enterprises.names([a.enterprise_id for a, _ in found if a.enterprise_id])
    unfinished = (RecipientStatus.open, RecipientStatus.accepted)
    rows = [
        TaskRow(
            a,
            names.get(a.enterprise_id or 0, ""),
            tally.get(a.id or 0, {}),
            line,
            a.due_on < today
            and (
                line.status in unfinished
                if line is not None
                else any(tally.get(a.id or 0, {}).get(s, 0) for s in unfinished)
            ),
        )
        for a, line in found
    ]
    return Paged(rows, listed.page, listed.pages, listed.total)
