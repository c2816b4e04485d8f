"""Negotiation rounds: the meeting log, numbered automatically, dated no earlier than the
offer and not in the future, corrected with the previous version kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import cases, reminders
from bot.services.errors import AccessDenied, Problem
from bot.services.numbers import parse_int
from bot.services.text import clean, text_value
from bot.services.when import parse_moment
from bot.settings import Settings
from storage.models import NegotiationRound, RoundRevision, Stage, User
from storage.uow import UnitOfWork

LONG_MAX = 2000
OPEN_STAGES = (Stage.reply_received, Stage.negotiating, Stage.suspended, Stage.draft)


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """'2026-11-20 14:30', '12月10日上午9点', '明天 9点半', 'yesterday 14:00' → aware UTC
    (bot/services/when.py, the one parser for moments)."""
    moment = parse_moment(text, now, zone)
    if moment is None:
        raise Problem("rounds.bad_when")
    return moment


def parse_held_at(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    moment = parse_when(text, now, zone)
    if moment > now + timedelta(minutes=5):
        raise Problem("rounds.held_in_future")
    return moment


def parse_next(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    moment = parse_when(text, now, zone)
    if moment <= now:
        raise Problem("rounds.next_in_past")
    return moment


def parse_place(text: str) -> str:
    return text_value(text, 2, 100, "rounds.bad_place")


def parse_present(text: str, settings: Settings, registered: int = 0) -> int:
    """Representatives of one side at a meeting: no more than that side has registered
    (when it has registered any), never more than the legal maximum."""
    high = settings.legal.max_reps_per_side
    if registered:
        high = min(high, registered)
    value = parse_int(clean(text), 0, high)
    if value is None:
        raise Problem("rounds.bad_present", max=high, registered=registered)
    return value


SIDES = ("workers", "employer")


async def registered_people(uow: UnitOfWork, case_id: int) -> dict[str, list[list[Any]]]:
    """Each side's registered representatives as [id, name] pairs (chiefs first), for the
    meeting log's attendance, ticked person by person."""
    people: dict[str, list[list[Any]]] = {side: [] for side in SIDES}
    members = sorted(await uow.representatives.of_case(case_id), key=lambda m: not m.chief)
    for member in members:
        people[member.side.value].append([member.id or 0, member.name])
    return people


def attendance_start(
    people: dict[str, list[list[Any]]], attended: dict[str, Any]
) -> dict[str, Any]:
    """The form data a meeting log starts with for attendance: who can be ticked on each
    side (their number also bounds a typed count), and (for a correction) who is ticked."""
    data: dict[str, Any] = {}
    for side in SIDES:
        data[f"_people_{side}"] = people[side]
        names = set(attended.get(side) or [])
        data[f"_tick_{side}_present"] = [str(pid) for pid, name in people[side] if name in names]
    return data


def parse_attendance(
    picked: list[tuple[str, str]], side: str, registered: int, settings: Settings
) -> dict[str, Any]:
    """The ticked representatives of one side: the count (checked like a typed one) and
    their names."""
    count = parse_present(str(len(picked)), settings, registered)
    return {f"{side}_present": count, f"{side}_names": [label for label, _ in picked]}


async def check_chiefs(uow: UnitOfWork, case_id: int, values: dict[str, Any]) -> None:
    """'Both chiefs present' cannot stand beside a ticked attendance that leaves a side's
    registered chief out."""
    if not values["chiefs_present"]:
        return
    attended = values["attendees"]
    for member in await uow.representatives.of_case(case_id):
        ticked = attended.get(member.side.value) or []
        if member.chief and ticked and member.name not in ticked:
            raise Problem("rounds.chief_not_ticked", name=member.name)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text_value(str(name), 1, 30, "rounds.bad_recorder") for name in value[:50]]


def parse_recorder(text: str) -> str:
    return text_value(text, 2, 30, "rounds.bad_recorder")


def parse_long(text: str) -> str:
    return text_value(text, 1, LONG_MAX, "rounds.bad_long", lines=True)


def _values(form: dict[str, Any], now: datetime, settings: Settings) -> dict[str, Any]:
    """Every field parsed again from stored form data, which is not trusted."""
    next_text = str(form.get("next_meeting") or "")
    return {
        "held_at": datetime.fromisoformat(str(form["held_at"])),
        "place": parse_place(str(form["place"])),
        "workers_present": parse_present(str(form["workers_present"]), settings),
        "employer_present": parse_present(str(form["employer_present"]), settings),
        "chiefs_present": form["chiefs_present"] == "yes",
        "recorder": parse_recorder(str(form["recorder"])),
        "agreements": parse_long(str(form["agreements"])) if form.get("agreements") else "",
        "open_points": parse_long(str(form["open_points"])) if form.get("open_points") else "",
        "next_meeting_at": datetime.fromisoformat(next_text) if next_text else None,
        "notes": parse_long(str(form["notes"])) if form.get("notes") else "",
        "attendees": {side: _names(form.get(f"{side}_names")) for side in SIDES},
    }


def as_form(negotiation_round: NegotiationRound) -> dict[str, Any]:
    r = negotiation_round
    return {
        "held_at": r.held_at.isoformat(),
        "place": r.place,
        "workers_present": r.workers_present,
        "employer_present": r.employer_present,
        "chiefs_present": "yes" if r.chiefs_present else "no",
        "recorder": r.recorder,
        "agreements": r.agreements,
        "open_points": r.open_points,
        "next_meeting": r.next_meeting_at.isoformat() if r.next_meeting_at else "",
        "notes": r.notes,
        **{f"{side}_names": list((r.attendees or {}).get(side) or []) for side in SIDES},
    }


async def log(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    form: dict[str, Any],
    now: datetime,
    settings: Settings,
) -> NegotiationRound:
    case = await cases.editable(uow, user, case_id)
    if case.stage not in OPEN_STAGES:
        raise Problem("rounds.not_negotiating")
    values = _values(form, now, settings)
    await check_chiefs(uow, case_id, values)
    held_on = values["held_at"].astimezone(settings.zone).date()
    if case.offer_on is not None and held_on < case.offer_on:
        raise Problem("rounds.before_offer", offer=case.offer_on)
    if case.stage is Stage.reply_received:
        # The first meeting starts the negotiation.
        await cases.move(uow, user, case_id, Stage.negotiating, held_on, now, settings)
    if case.first_round_on is None or held_on < case.first_round_on:
        case.first_round_on = held_on
    number = await uow.rounds.last_number(case_id) + 1
    logged = await uow.rounds.add(
        NegotiationRound(
            case_id=case_id,
            round_no=number,
            created_by_id=user.id or 0,
            created_at=now,
            updated_at=now,
            **values,
        )
    )
    await reminders.sync_case(uow, case_id, now, settings)
    return logged


async def correct(
    uow: UnitOfWork,
    user: User,
    round_id: int,
    form: dict[str, Any],
    now: datetime,
    settings: Settings,
) -> NegotiationRound:
    found = await uow.rounds.get(round_id)
    if found is None:
        raise AccessDenied()
    case = await cases.editable(uow, user, found.case_id)
    values = _values(form, now, settings)
    await check_chiefs(uow, found.case_id, values)
    if (
        case.offer_on is not None
        and values["held_at"].astimezone(settings.zone).date() < case.offer_on
    ):
        raise Problem("rounds.before_offer", offer=case.offer_on)
    await uow.rounds.revise(
        RoundRevision(round_id=round_id, before=as_form(found), by_id=user.id or 0, at=now)
    )
    for name, value in values.items():
        setattr(found, name, value)
    found.updated_at = now
    await reminders.sync_case(uow, found.case_id, now, settings)
    return found


@dataclass(frozen=True)
class RoundView:
    negotiation_round: NegotiationRound
    editable: bool
    revisions: Sequence[RoundRevision]


async def log_start(uow: UnitOfWork, user: User, case_id: int) -> dict[str, Any]:
    """What a new meeting log starts with: the case, and each side's registered count."""
    _, editable = await cases.load(uow, user, case_id)
    if not editable:
        raise AccessDenied()
    people = await registered_people(uow, case_id)
    return {"case_id": case_id, **attendance_start(people, {})}


async def correction_start(uow: UnitOfWork, user: User, round_id: int) -> dict[str, Any]:
    """What a correction starts with: the round as logged, and who can be ticked now."""
    shown = await view(uow, user, round_id)
    if not shown.editable:
        raise AccessDenied()
    found = shown.negotiation_round
    people = await registered_people(uow, found.case_id)
    return {
        **as_form(found),
        "round_id": round_id,
        **attendance_start(people, found.attendees or {}),
    }


async def of_case(
    uow: UnitOfWork, user: User, case_id: int
) -> tuple[bool, Sequence[NegotiationRound]]:
    _, editable = await cases.load(uow, user, case_id)
    return editable, await uow.rounds.of_case(case_id)


async def view(uow: UnitOfWork, user: User, round_id: int) -> RoundView:
    found = await uow.rounds.get(round_id)
    if found is None:
        raise AccessDenied()
    _, editable = await cases.load(uow, user, found.case_id)
    return RoundView(found, editable, await uow.rounds.revisions(round_id))
