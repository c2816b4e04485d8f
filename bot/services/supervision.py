"""Performance supervision checks (履约监督检查) of contracts in force: schedule a visit, walk
the checklist area by area (pass, problem, not applicable, with notes and photos), turn
problems into rectification items with an owner and a due date, reminded until closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.services import cases, reminders
from bot.services.errors import AccessDenied, Problem
from bot.services.profiles import today_in
from bot.services.text import clean, text_value
from bot.services.when import day_value
from bot.settings import Settings
from storage.models import (
    CheckItem,
    Rectification,
    Reminder,
    ReminderStatus,
    Stage,
    SupervisionCheck,
    User,
)
from storage.uow import UnitOfWork


class Area(StrEnum):
    """What a performance check looks at, in the order of the checklist."""

    pay_on_time = "pay_on_time"
    pay_level = "pay_level"
    hours = "hours"
    rest = "rest"
    safety = "safety"
    women = "women"
    insurance = "insurance"


class Result(StrEnum):
    passed = "pass"
    problem = "problem"
    na = "na"


AREAS = tuple(Area)
RESULTS = tuple(Result)
IN_FORCE = (Stage.in_force, Stage.performing, Stage.expiring)
TEAM_MAX, NOTE_MAX, OWNER_MAX = 200, 500, 50
MORNING = time(9, 0)


def parse_team(text: str) -> str:
    value = clean(text)
    if not 2 <= len(value) <= TEAM_MAX:
        raise Problem("supervision.bad_team", max=TEAM_MAX)
    return value


def parse_note(text: str) -> str:
    return text_value(text, 2, NOTE_MAX, "supervision.bad_note", lines=True)


def parse_owner(text: str) -> str:
    value = clean(text)
    if not 2 <= len(value) <= OWNER_MAX:
        raise Problem("supervision.bad_owner", max=OWNER_MAX)
    return value


def parse_day(text: str, today: date, *, past_ok: bool = False) -> date:
    try:
        day = day_value(text, today)
    except Problem:
        raise Problem("common.bad_date") from None
    if day < today and not past_ok:
        raise Problem("supervision.in_past")
    if day > today + timedelta(days=366):
        raise Problem("supervision.too_far")
    return day


def _reminder(
    recipient_id: int,
    key: str,
    day: date,
    text_key: str,
    params: dict[str, str],
    kind: str,
    now: datetime,
    settings: Settings,
) -> Reminder:
    due = reminders.at_local(day, MORNING, settings.zone)
    return Reminder(
        recipient_id=recipient_id,
        kind=kind,
        idem_key=key,
        due_at=due,
        next_attempt_at=due,
        payload={"key": text_key, "params": params},
        status=ReminderStatus.pending,
        created_at=now,
    )


async def _names(uow: UnitOfWork, case_id: int) -> str:
    return "、".join(e.name for e in await uow.cases.enterprises_of(case_id))


async def may_schedule(uow: UnitOfWork, user: User, case_id: int) -> None:
    """The case's own instructor checks the performance of a contract in force."""
    case = await cases.editable(uow, user, case_id)
    if case.stage not in IN_FORCE:
        raise Problem("supervision.not_in_force")


async def schedule(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    day: date,
    team: str,
    now: datetime,
    settings: Settings,
) -> SupervisionCheck:
    await may_schedule(uow, user, case_id)
    check = await uow.supervision.add(
        SupervisionCheck(
            case_id=case_id, scheduled_on=day, team=team, created_by_id=user.id or 0, created_at=now
        )
    )
    if reminders.at_local(day, MORNING, settings.zone) > now:
        params = {"enterprise": await _names(uow, case_id), "team": team}
        await uow.reminders.upsert(
            _reminder(
                user.id or 0,
                f"check:{check.id}:visit",
                day,
                "reminders.check_visit",
                params,
                "duty",
                now,
                settings,
            )
        )
    return check


@dataclass(frozen=True)
class CheckView:
    check: SupervisionCheck
    enterprises: str
    items: dict[str, CheckItem]
    rectifications: list[Rectification]
    editable: bool


async def view(uow: UnitOfWork, user: User, check_id: int) -> CheckView:
    check = await uow.supervision.get(check_id)
    if check is None:
        raise AccessDenied()
    _, editable = await cases.load(uow, user, check.case_id)
    items = {i.area: i for i in await uow.supervision.items(check_id)}
    fixes = list(await uow.supervision.rectifications(check_id))
    return CheckView(check, await _names(uow, check.case_id), items, fixes, editable)


async def of_case(uow: UnitOfWork, user: User, case_id: int) -> tuple[bool, list[SupervisionCheck]]:
    _, editable = await cases.load(uow, user, case_id)
    return editable, list(await uow.supervision.of_case(case_id))


async def _editable_check(uow: UnitOfWork, user: User, check_id: int) -> SupervisionCheck:
    check = await uow.supervision.get(check_id)
    if check is None:
        raise AccessDenied()
    await cases.editable(uow, user, check.case_id)
    return check


async def record(
    uow: UnitOfWork,
    user: User,
    check_id: int,
    area: str,
    result: str,
    now: datetime,
    note: str = "",
    photo: str = "",
) -> CheckItem:
    if area not in AREAS or result not in RESULTS:
        raise Problem("common.expired_button")
    await _editable_check(uow, user, check_id)
    item = await uow.supervision.item(check_id, area) or CheckItem(
        check_id=check_id, area=area, result=result, at=now
    )
    item.result, item.at = result, now
    if note:
        item.note = note
    if photo:
        item.photo = photo
    await uow.supervision.save_item(item)
    return item


async def rectify(
    uow: UnitOfWork,
    user: User,
    check_id: int,
    area: str,
    item: str,
    owner: str,
    due: date,
    now: datetime,
    settings: Settings,
) -> Rectification:
    check = await _editable_check(uow, user, check_id)
    fix = await uow.supervision.add_rectification(
        Rectification(
            check_id=check_id, area=area, item=item, owner=owner, due_on=due, created_at=now
        )
    )
    await plan_rectification(uow, fix, check, user.id or 0, now, settings)
    return fix


async def plan_rectification(
    uow: UnitOfWork,
    fix: Rectification,
    check: SupervisionCheck,
    recipient_id: int,
    now: datetime,
    settings: Settings,
) -> None:
    """The next reminder of an open item: on its due day, then every few days until closed."""
    if fix.closed_at is not None or fix.due_on is None:
        return
    today = today_in(settings.zone, now)
    day = fix.due_on
    step = timedelta(days=settings.rectification_repeat_days)
    while reminders.at_local(day, MORNING, settings.zone) <= now:
        day += step
    params = {
        "enterprise": await _names(uow, check.case_id),
        "item": fix.item,
        "owner": fix.owner,
        "due": fix.due_on.isoformat(),
        "overdue": "1" if fix.due_on < today or day > fix.due_on else "",
    }
    await uow.reminders.upsert(
        _reminder(
            recipient_id,
            f"rect:{fix.id}:{day.isoformat()}",
            day,
            "reminders.rectification",
            params,
            "rectification",
            now,
            settings,
        )
    )


async def close_item(
    uow: UnitOfWork, user: User, rectification_id: int, now: datetime
) -> Rectification:
    fix = await uow.supervision.rectification(rectification_id)
    if fix is None:
        raise AccessDenied()
    await _editable_check(uow, user, fix.check_id)
    if fix.closed_at is not None:
        raise Problem("supervision.already_closed")
    fix.closed_at = now
    await uow.reminders.cancel_pending(f"rect:{fix.id}:", set())
    return fix


async def finish(uow: UnitOfWork, user: User, check_id: int, now: datetime) -> SupervisionCheck:
    check = await _editable_check(uow, user, check_id)
    if not await uow.supervision.items(check_id):
        raise Problem("supervision.nothing_checked")
    check.finished_at = now
    await uow.reminders.cancel_pending(f"check:{check_id}:", set())
    return check


async def keep_reminding(uow: UnitOfWork, now: datetime, settings: Settings) -> int:
    """The duty tick: each open, overdue rectification item has its next reminder planned."""
    planned = 0
    for fix, check in await uow.supervision.open_overdue(today_in(settings.zone, now)):
        await plan_rectification(uow, fix, check, check.created_by_id, now, settings)
        planned += 1
    return planned


@dataclass(frozen=True)
class Findings:
    """What the supervision report document takes from the latest finished check."""

    checked_on: date
    team: str
    notes: dict[str, str]  # area → "result: note"
    rectifications: list[Rectification]


async def latest_findings(uow: UnitOfWork, case_id: int) -> Findings | None:
    finished = [c for c in await uow.supervision.of_case(case_id) if c.finished_at is not None]
    if not finished:
        return None
    check = finished[0]
    items = {i.area: i for i in await uow.supervision.items(check.id or 0)}
    notes = {area: (items[area].result, items[area].note) for area in items}
    return Findings(
        check.scheduled_on,
        check.team,
        {area: f"{result}|{note}" for area, (result, note) in notes.items()},
        list(await uow.supervision.rectifications(check.id or 0)),
    )
