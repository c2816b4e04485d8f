"""Recurring duties and the daily and weekly overviews.

A duty is a cron rule (APScheduler's CronTrigger computes its next time in the union's time
zone): the monthly work report and the regular contact meeting with the liaison for every
instructor, a quarterly supervision check for every contract in force. The duty tick turns
each coming occurrence into a reminder row, so delivery has the reminder engine's
guarantees. It also plans each instructor's morning digest and each liaison's weekly
summary, whose text is written when they are sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.services import orgs, reminders, supervision
from bot.settings import Settings
from storage.models import Duty, Reminder, ReminderStatus, Role, User
from storage.uow import UnitOfWork

HORIZON = timedelta(days=2)  # occurrences this close become reminder rows


def next_time(cron: str, after: datetime, zone: ZoneInfo) -> datetime | None:
    """The first occurrence strictly after `after`, or None if the rule never fires."""
    trigger = CronTrigger.from_crontab(cron, timezone=zone)
    found = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return found if isinstance(found, datetime) else None


def rules(settings: Settings) -> dict[str, str]:
    return {
        "monthly_report": settings.duty_monthly_report_cron,
        "contact_meeting": settings.duty_contact_meeting_cron,
        "supervision": settings.duty_supervision_cron,
    }


async def ensure(uow: UnitOfWork, now: datetime, settings: Settings) -> int:
    """Create the standard duties that are missing; stop supervision of contracts no longer
    in force. Returns how many duties were created."""
    wanted: dict[str, tuple[str, int, int | None]] = {}
    for instructor in await uow.users.instructors_under(""):
        for kind in ("monthly_report", "contact_meeting"):
            wanted[f"{kind}:{instructor.id}:0"] = (kind, instructor.id or 0, None)
    for case in await uow.cases.in_stages(supervision.IN_FORCE):
        wanted[f"supervision:{case.owner_id}:{case.id}"] = ("supervision", case.owner_id, case.id)
    existing = {d.key: d for d in await uow.duties.all()}
    created = []
    for key, (kind, owner_id, case_id) in wanted.items():
        duty = existing.get(key)
        if duty is None:
            created.append(
                Duty(
                    key=key,
                    owner_id=owner_id,
                    kind=kind,
                    case_id=case_id,
                    cron=rules(settings)[kind],
                    created_at=now,
                )
            )
        elif not duty.active:
            duty.active, duty.next_at = True, None
    await uow.duties.add_all(created)
    for key, duty in existing.items():
        if key not in wanted and duty.active:
            duty.active = False
            await uow.reminders.cancel_pending(f"duty:{duty.id}:", set())
    return len(created)


async def materialise(uow: UnitOfWork, now: datetime, settings: Settings) -> int:
    """Each active duty's occurrences within the horizon become reminder rows, once."""
    zone, planned = settings.zone, 0
    for duty in await uow.duties.due(now + HORIZON):
        occurrence = duty.next_at or next_time(duty.cron, now, zone)
        while occurrence is not None and occurrence <= now + HORIZON:
            if occurrence > now - timedelta(days=1):  # long-missed ones are not sent
                names = ""
                if duty.case_id:
                    names = "、".join(e.name for e in await uow.cases.enterprises_of(duty.case_id))
                due = reminders.after_quiet_hours(
                    occurrence, zone, settings.quiet_hours_start, settings.quiet_hours_end
                )
                await uow.reminders.upsert(
                    Reminder(
                        recipient_id=duty.owner_id,
                        kind="duty",
                        idem_key=f"duty:{duty.id}:{occurrence.isoformat()}",
                        due_at=due,
                        next_attempt_at=due,
                        payload={
                            "key": f"reminders.duty_{duty.kind}",
                            "params": {"enterprise": names},
                        },
                        status=ReminderStatus.pending,
                        created_at=now,
                    )
                )
                planned += 1
            occurrence = next_time(duty.cron, occurrence, zone)
        duty.next_at = occurrence
    return planned


async def plan_overviews(uow: UnitOfWork, now: datetime, settings: Settings) -> int:
    """The morning digests of the next days (planned well ahead, so a slow tick never
    misses one) and the next weekly summaries; returns how many were new."""
    zone = settings.zone
    today = now.astimezone(zone).date()
    digest_at = [
        reminders.at_local(day, settings.digest_time, zone)
        for day in (today, today + timedelta(days=1), today + timedelta(days=2))
    ]
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    weekly_at = reminders.at_local(monday, settings.weekly_summary_time, zone)
    if weekly_at <= now:
        weekly_at += timedelta(days=7)
    planned = [
        _overview(instructor, "digest", due, now)
        for instructor in await uow.users.instructors_under("")
        for due in digest_at
        if due > now
    ]
    planned += [
        _overview(liaison, "weekly", weekly_at, now)
        for liaison in await uow.users.with_role(Role.liaison)
    ]
    return await uow.reminders.add_missing(planned)


def _overview(user: User, kind: str, due: datetime, now: datetime) -> Reminder:
    return Reminder(
        recipient_id=user.id or 0,
        kind=kind,
        idem_key=f"{kind}:{user.id}:{due.date().isoformat()}",
        due_at=due,
        next_attempt_at=due,
        payload={"key": f"reminders.{kind}", "dynamic": kind},
        status=ReminderStatus.pending,
        created_at=now,
    )


async def tick(uow: UnitOfWork, now: datetime, settings: Settings) -> dict[str, int]:
    return {
        "duties": await ensure(uow, now, settings),
        "occurrences": await materialise(uow, now, settings),
        "overviews": await plan_overviews(uow, now, settings),
        "rectifications": await supervision.keep_reminding(uow, now, settings),
    }


# ----- what the overviews say -----
@dataclass(frozen=True)
class Digest:
    today: list[Reminder]  # due later today
    overdue: list[Reminder]  # delivered, not marked done
    empty: bool


async def digest(uow: UnitOfWork, user: User, now: datetime, settings: Settings) -> Digest:
    zone = settings.zone
    today = now.astimezone(zone).date()
    start = reminders.at_local(today, datetime.min.time(), zone)
    end = start + timedelta(days=1)
    coming = [
        r
        for r in await uow.reminders.of_recipient(user.id or 0, start, end)
        if r.kind in reminders.WITH_ACTIONS and r.status is ReminderStatus.pending
    ]
    overdue = [
        r
        for r in await uow.reminders.undone(user.id or 0, start - timedelta(days=30), start)
        if r.kind in reminders.WITH_ACTIONS
    ]
    return Digest(coming, overdue, not coming and not overdue)


@dataclass(frozen=True)
class Summary:
    rows: list[tuple[str, int, int]]  # instructor, overdue duties, overdue rectifications
    empty: bool


async def weekly(uow: UnitOfWork, liaison: User, now: datetime, settings: Settings) -> Summary:
    root = await orgs.org_of(uow, liaison)
    start = reminders.at_local(
        now.astimezone(settings.zone).date(), datetime.min.time(), settings.zone
    )
    rows = []
    fixes = await uow.supervision.open_overdue(
        now.astimezone(settings.zone).date() - timedelta(days=1)
    )
    by_owner: dict[int, int] = {}
    for _, check in fixes:
        by_owner[check.created_by_id] = by_owner.get(check.created_by_id, 0) + 1
    for instructor in await uow.users.instructors_under(root.path):
        undone = [
            r
            for r in await uow.reminders.undone(
                instructor.id or 0, start - timedelta(days=30), start
            )
            if r.kind in reminders.WITH_ACTIONS
        ]
        late_fixes = by_owner.get(instructor.id or 0, 0)
        if undone or late_fixes:
            rows.append((instructor.display_name, len(undone), late_fixes))
    return Summary(rows, not rows)
