"""The reminder engine's rules and bookkeeping.

Reminders are rows. A tick claims the due ones atomically, the job sends them through the
sender, and each is marked sent, retried with backoff, or stopped when the recipient
blocked the bot. Non-urgent reminders wait out the quiet hours; ones that went out well
after their time (the bot was down) are marked late. Case deadlines are kept in step with
the case: each change re-plans its reminders and cancels the ones that no longer apply.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.bargaining import deadlines, milestones
from bot.services.errors import AccessDenied, Problem
from bot.services.text import text_value
from bot.services.when import parse_moment
from bot.settings import Settings
from storage.models import BargainingCase, Reminder, ReminderStatus, Stage, User
from storage.repositories.outbox import Outcome
from storage.uow import UnitOfWork

MORNING = time(9, 0)


# ----- pure rules -----
def in_quiet_hours(moment: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    local = moment.astimezone(zone).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight


def after_quiet_hours(moment: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """The first moment at or after `moment` outside the quiet hours."""
    if not in_quiet_hours(moment, zone, start, end):
        return moment
    local = moment.astimezone(zone)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def at_local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def is_late(reminder: Reminder, now: datetime, settings: Settings) -> bool:
    return now - reminder.due_at > timedelta(minutes=settings.reminder_late_after_minutes)


@dataclass(frozen=True)
class Planned:
    key: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    urgent: bool = False


# Which deadline matters at which stage, and how many days ahead to remind of it.
DEADLINE_PLAN: dict[str, tuple[tuple[Stage, ...], tuple[int, ...]]] = {
    "reply_due": ((Stage.offer_sent,), (3, 0)),
    "data_due": ((Stage.reply_received, Stage.negotiating), (2, 0)),
    "filing_due": ((Stage.signed,), (3, 0)),
    "review_ends": ((Stage.filed,), (0,)),
    "publication_due": ((Stage.in_force, Stage.performing), (3, 0)),
    "renewal_opens": ((Stage.in_force, Stage.performing), (7, 0)),
}


def case_plan(
    case: BargainingCase,
    enterprise: str,
    next_meeting: datetime | None,
    now: datetime,
    settings: Settings,
) -> list[Planned]:
    """The reminders a case needs now, in the future only."""
    zone, found = settings.zone, deadlines(case.case_type, milestones(case), settings.legal)
    plan: list[Planned] = []
    for name, (stages, days_ahead) in DEADLINE_PLAN.items():
        day: date | None = getattr(found, name)
        if day is None or case.stage not in stages:
            continue
        for ahead in days_ahead:
            due = at_local(day - timedelta(days=ahead), MORNING, zone)
            if due > now:
                params = {
                    "deadline": name,
                    "day": day.isoformat(),
                    "days": ahead,
                    "enterprise": enterprise,
                }
                plan.append(
                    Planned(
                        f"case:{case.id}:{name}:{day.isoformat()}:{ahead}",
                        "case_deadline",
                        due,
                        {"key": "reminders.case_deadline", "params": params, "case_id": case.id},
                    )
                )
    if next_meeting is not None and case.stage in (Stage.negotiating, Stage.suspended):
        for label, before in (("day", timedelta(days=1)), ("hours", timedelta(hours=2))):
            due = next_meeting - before
            if due > now:
                params = {"at": next_meeting.isoformat(), "enterprise": enterprise, "ahead": label}
                plan.append(
                    Planned(
                        f"case:{case.id}:meeting:{next_meeting.isoformat()}:{label}",
                        "next_meeting",
                        due,
                        {"key": "reminders.next_meeting", "params": params, "case_id": case.id},
                        urgent=label == "hours",  # two hours ahead is no time to wait
                    )
                )
    return plan


# ----- bookkeeping -----
async def sync_case(uow: UnitOfWork, case_id: int, now: datetime, settings: Settings) -> None:
    """Bring the case's reminders in line with its stage and dates."""
    case = await uow.cases.get(case_id)
    if case is None:
        return
    names = "、".join(e.name for e in await uow.cases.enterprises_of(case_id))
    meetings = await uow.rounds.of_case(case_id)
    latest_next = meetings[-1].next_meeting_at if meetings else None
    keep = set()
    for planned in case_plan(case, names, latest_next, now, settings):
        keep.add(planned.key)
        await uow.reminders.upsert(
            Reminder(
                recipient_id=case.owner_id,
                kind=planned.kind,
                idem_key=planned.key,
                due_at=planned.due_at,
                next_attempt_at=planned.due_at,
                urgent=planned.urgent,
                payload=planned.payload,
                status=ReminderStatus.pending,
                created_at=now,
            )
        )
    await uow.reminders.cancel_pending(f"case:{case_id}:", keep)


async def claim(uow: UnitOfWork, now: datetime, settings: Settings) -> Sequence[Reminder]:
    lease = now - timedelta(seconds=settings.reminder_lease_seconds)
    await uow.reminders.release_stale(lease)
    return await uow.reminders.claim_due(now, settings.reminder_batch)


async def defer(uow: UnitOfWork, reminder_id: int, until: datetime) -> None:
    reminder = await uow.reminders.get(reminder_id)
    if reminder is not None and reminder.status is ReminderStatus.sending:
        reminder.status, reminder.next_attempt_at, reminder.claimed_at = (
            ReminderStatus.pending,
            until,
            None,
        )


async def skip(uow: UnitOfWork, reminder_id: int) -> None:
    """A claimed reminder with nothing to say (an empty digest) is not sent."""
    reminder = await uow.reminders.get(reminder_id)
    if reminder is not None and reminder.status is ReminderStatus.sending:
        reminder.status, reminder.claimed_at = ReminderStatus.cancelled, None


async def mark(
    uow: UnitOfWork, reminder_id: int, outcome: str, now: datetime, settings: Settings, late: bool
) -> None:
    """Record how a claimed reminder's send went: sent, blocked, or failed (retried with a
    growing delay until the attempts run out; the rule is the outbox's)."""
    reminder = await uow.reminders.get(reminder_id)
    if reminder is None or reminder.status is not ReminderStatus.sending:
        return
    done = Outcome(outcome)
    values: dict[str, Any] = {}
    if done is Outcome.sent:
        values = {"sent_at": now, "late": late}
    elif done is Outcome.failed:
        values = {"next_attempt_at": now + retry_delay(reminder.attempts + 1)}
    await uow.reminders.record(reminder_id, done, settings.reminder_max_attempts, values)


# ----- personal reminders: /remind -----
PERSONAL_TEXT_MAX = 200
PERSONAL_SHOWN = 20
WITH_ACTIONS = frozenset(
    {"personal", "case_deadline", "next_meeting", "survey", "duty", "rectification"}
)


def parse_note(text: str) -> str:
    return text_value(text, 1, PERSONAL_TEXT_MAX, "reminders.bad_text")


def quick_time(choice: str, now: datetime, zone: ZoneInfo) -> datetime:
    """In an hour; tomorrow at 9:00; next Monday at 9:00."""
    today = now.astimezone(zone).date()
    if choice == "hour":
        return now + timedelta(hours=1)
    if choice == "tomorrow":
        return at_local(today + timedelta(days=1), MORNING, zone)
    if choice == "monday":
        return at_local(today + timedelta(days=7 - today.weekday()), MORNING, zone)
    raise Problem("common.expired_button")


def parse_remind(text: str, now: datetime, zone: ZoneInfo) -> tuple[datetime, str]:
    """'明天 9:00 交月报', '2026-12-01 14:00 开会' → (when, what)."""
    words = text.split()
    for count in (2, 1):
        if len(words) > count:
            when = parse_moment(" ".join(words[:count]), now, zone)
            if when is not None:
                return when, parse_note(" ".join(words[count:]))
    raise Problem("reminders.bad_remind")


def check_future(when: datetime, now: datetime) -> None:
    """A time typed to the minute is in the past only once that minute has begun: at 14:30:20,
    '14:31' is forty seconds ahead and fine."""
    if when <= now.replace(second=0, microsecond=0):
        raise Problem("reminders.in_past")
    if when > now + timedelta(days=366):
        raise Problem("reminders.too_far")


@dataclass(frozen=True)
class Scheduled:
    reminder: Reminder
    moved: bool  # the chosen time fell in the quiet hours


async def remind_me(
    uow: UnitOfWork, user: User, note: str, when: datetime, now: datetime, settings: Settings
) -> Scheduled:
    check_future(when, now)
    zone, start, end = settings.zone, settings.quiet_hours_start, settings.quiet_hours_end
    due = after_quiet_hours(when, zone, start, end)
    reminder = await uow.reminders.upsert(
        Reminder(
            recipient_id=user.id or 0,
            kind="personal",
            idem_key=f"personal:{user.id}:{secrets.token_hex(8)}",
            due_at=due,
            next_attempt_at=due,
            payload={"key": "reminders.personal", "params": {"text": note}},
            status=ReminderStatus.pending,
            created_at=now,
        )
    )
    return Scheduled(reminder, due != when)


async def mine(uow: UnitOfWork, user: User) -> Sequence[Reminder]:
    return await uow.reminders.personal_of(user.id or 0, PERSONAL_SHOWN)


async def _own(uow: UnitOfWork, user: User, reminder_id: int) -> Reminder:
    reminder = await uow.reminders.get(reminder_id)
    if reminder is None or reminder.recipient_id != user.id:
        raise AccessDenied()
    return reminder


async def cancel(uow: UnitOfWork, user: User, reminder_id: int) -> Reminder:
    reminder = await _own(uow, user, reminder_id)
    if reminder.status is not ReminderStatus.pending:
        raise Problem("reminders.not_pending")
    reminder.status = ReminderStatus.cancelled
    return reminder


async def done(uow: UnitOfWork, user: User, reminder_id: int, now: datetime) -> Reminder:
    reminder = await _own(uow, user, reminder_id)
    if reminder.done_at is not None:
        raise Problem("reminders.already_done")
    reminder.done_at = now
    if reminder.status is ReminderStatus.pending:
        reminder.status = ReminderStatus.cancelled
    return reminder


async def snooze(
    uow: UnitOfWork, user: User, reminder_id: int, choice: str, now: datetime, settings: Settings
) -> Reminder:
    """Remind again later; the reminder counts as handled, its copy is due then."""
    reminder = await _own(uow, user, reminder_id)
    if reminder.done_at is not None:
        raise Problem("reminders.already_done")
    zone = settings.zone
    due = after_quiet_hours(
        quick_time(choice, now, zone), zone, settings.quiet_hours_start, settings.quiet_hours_end
    )
    reminder.done_at = now
    base = reminder.idem_key.split(":snooze:")[0]
    return await uow.reminders.upsert(
        Reminder(
            recipient_id=reminder.recipient_id,
            kind=reminder.kind,
            idem_key=f"{base}:snooze:{due.isoformat()}"[:120],
            due_at=due,
            next_attempt_at=due,
            urgent=False,
            payload=dict(reminder.payload),
            status=ReminderStatus.pending,
            created_at=now,
        )
    )
