"""Trainings: a liaison schedules one for the instructors of their union's subtree (or
named ones); invitations, reminders and the check-in call are reminder rows, so they go out
once, at Telegram's pace, across restarts; hours attended are tallied per year."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services import access, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.text import clean, text_value
from bot.settings import Settings
from storage.models import (
    Reminder,
    ReminderStatus,
    Role,
    Training,
    TrainingInvite,
    TrainingKind,
    User,
)
from storage.uow import UnitOfWork

TITLE_MAX, PLACE_MAX = 100, 300
CHECK_IN_EARLY = timedelta(minutes=30)
RESPONSES = ("attend", "cannot")


def parse_title(text: str) -> str:
    return text_value(text, 2, TITLE_MAX, "trainings.bad_title")


def parse_place(text: str) -> str:
    value = clean(text)
    if not 2 <= len(value) <= PLACE_MAX:
        raise Problem("trainings.bad_place", max=PLACE_MAX)
    return value


def parse_hours(text: str) -> float:
    value = unicodedata.normalize("NFKC", text).strip().removesuffix("小时").strip()
    if not re.fullmatch(r"\d{1,2}(\.5|\.0)?", value) or not 0.5 <= float(value) <= 40:
        raise Problem("trainings.bad_hours")
    return float(value)


def check_start(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise Problem("trainings.in_past")
    if starts_at > now + timedelta(days=366):
        raise Problem("trainings.too_far")


def ends_at(starts_at: datetime, hours: float) -> datetime:
    """A day's training of more than 8 hours spreads over several days: the session window
    for check-in is the first day's."""
    return starts_at + timedelta(hours=min(hours, 8))


def _reminders(training: Training, invitee: User, now: datetime) -> list[Reminder]:
    """The invitation now, a reminder the day before and an hour before, the check-in call."""
    tid, uid = training.id or 0, invitee.id or 0
    base = f"training:{tid}:{uid}"
    params = {
        "title": training.title,
        "at": training.starts_at.isoformat(),
        "place": training.place,
        "hours": f"{training.hours:g}",
        "kind": training.kind.value,
    }
    plan = [  # label, due, text, the buttons it carries, urgent
        ("invite", now, "reminders.training_invite", "respond", False),
        (
            "day",
            training.starts_at - timedelta(days=1),
            "reminders.training_soon",
            "respond",
            False,
        ),
        ("hour", training.starts_at - timedelta(hours=1), "reminders.training_soon", "", True),
        ("checkin", training.starts_at, "reminders.training_checkin", "checkin", True),
    ]
    return [
        Reminder(
            recipient_id=uid,
            kind="training_call",
            idem_key=f"{base}:{label}",
            due_at=due,
            next_attempt_at=due,
            urgent=urgent,
            payload={"key": key, "params": params, "buttons": buttons, "training_id": tid},
            status=ReminderStatus.pending,
            created_at=now,
        )
        for label, due, key, buttons, urgent in plan
        if label == "invite" or due > now
    ]


async def audience(uow: UnitOfWork, liaison: User) -> list[User]:
    """The active instructors of the liaison's union and every union below it."""
    root = await orgs.org_of(uow, liaison)
    return list(await uow.users.instructors_under(root.path))


def _liaison(user: User) -> None:
    access.liaison(user)


async def schedule(
    uow: UnitOfWork,
    liaison: User,
    kind: TrainingKind,
    title: str,
    starts_at: datetime,
    hours: float,
    place: str,
    invitee_ids: list[int] | None,
    now: datetime,
) -> tuple[Training, int]:
    """Create the training and queue its invitations; `invitee_ids` None: everyone."""
    _liaison(liaison)
    check_start(starts_at, now)
    everyone = await audience(uow, liaison)
    chosen = everyone if invitee_ids is None else [u for u in everyone if u.id in set(invitee_ids)]
    if not chosen:
        raise Problem("trainings.nobody")
    root = await orgs.org_of(uow, liaison)
    training = await uow.trainings.add(
        Training(
            org_id=root.id or 0,
            created_by_id=liaison.id or 0,
            kind=kind,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at(starts_at, hours),
            place=place,
            hours=hours,
            created_at=now,
        )
    )
    for invitee in chosen:
        await uow.trainings.invite(
            TrainingInvite(training_id=training.id or 0, user_id=invitee.id or 0)
        )
        for reminder in _reminders(training, invitee, now):
            await uow.reminders.upsert(reminder)
    return training, len(chosen)


async def _training(uow: UnitOfWork, training_id: int) -> Training:
    training = await uow.trainings.get(training_id)
    if training is None:
        raise AccessDenied()
    return training


async def _organiser(uow: UnitOfWork, liaison: User, training: Training) -> None:
    _liaison(liaison)
    await orgs.require_within(uow, liaison, training.org_id)


async def _invite(uow: UnitOfWork, user: User, training_id: int) -> tuple[Training, TrainingInvite]:
    training = await _training(uow, training_id)
    invite = await uow.trainings.invite_of(training_id, user.id or 0)
    if invite is None:
        raise AccessDenied()
    return training, invite


async def respond(
    uow: UnitOfWork, user: User, training_id: int, answer: str, now: datetime
) -> Training:
    if answer not in RESPONSES:
        raise Problem("common.expired_button")
    training, invite = await _invite(uow, user, training_id)
    if now >= training.ends_at:
        raise Problem("trainings.over")
    invite.response, invite.responded_at = answer, now
    if answer == "cannot":  # no more reminders for someone who cannot come
        await uow.reminders.cancel_pending(f"training:{training_id}:{user.id}:", set())
    return training


async def check_in(uow: UnitOfWork, user: User, training_id: int, now: datetime) -> Training:
    training, invite = await _invite(uow, user, training_id)
    if not training.starts_at - CHECK_IN_EARLY <= now <= training.ends_at:
        raise Problem("trainings.not_in_window", at=training.starts_at, until=training.ends_at)
    if invite.checked_in_at is None:
        invite.checked_in_at = now
        invite.response = "attend"
    return training


async def mark(
    uow: UnitOfWork, liaison: User, training_id: int, user_id: int, now: datetime
) -> None:
    """The organiser marks an invitee present, or takes the mark back."""
    training = await _training(uow, training_id)
    await _organiser(uow, liaison, training)
    invite = await uow.trainings.invite_of(training_id, user_id)
    if invite is None:
        raise AccessDenied()
    if invite.checked_in_at is None:
        if now < training.starts_at - CHECK_IN_EARLY:
            # Nobody has attended a training that has not begun: its hours would count now.
            raise Problem("trainings.mark_too_early", at=training.starts_at)
        invite.checked_in_at, invite.marked_by_id = now, liaison.id
    else:
        invite.checked_in_at, invite.marked_by_id = None, None


@dataclass(frozen=True)
class Attendee:
    user: User
    invite: TrainingInvite


@dataclass(frozen=True)
class TrainingCard:
    training: Training
    organiser: bool
    attendees: list[Attendee]  # everyone, for the organiser; oneself, for an invitee


async def card(uow: UnitOfWork, user: User, training_id: int) -> TrainingCard:
    training = await _training(uow, training_id)
    if user.role is Role.liaison:
        await _organiser(uow, user, training)
        rows = await uow.trainings.invitees(training_id)
        return TrainingCard(training, True, [Attendee(u, i) for u, i in rows])
    _, invite = await _invite(uow, user, training_id)
    return TrainingCard(training, False, [Attendee(user, invite)])


async def listing(
    uow: UnitOfWork, user: User, now: datetime
) -> list[tuple[Training, TrainingInvite | None]]:
    """A liaison's trainings in their subtree, or an instructor's invitations; recent first."""
    since = now - timedelta(days=60)
    if user.role is Role.liaison:
        root = await orgs.org_of(uow, user)
        return [(t, None) for t in await uow.trainings.in_subtree(root.path, since)]
    return [(t, i) for t, i in await uow.trainings.of_invitee(user.id or 0, since)]


async def hours(
    uow: UnitOfWork, user: User, year: int, settings: Settings
) -> list[tuple[str, float]]:
    """Hours attended in `year`: per instructor of a liaison's subtree, or one's own."""
    start = datetime(year, 1, 1, tzinfo=settings.zone)
    end = datetime(year + 1, 1, 1, tzinfo=settings.zone)
    if user.role is Role.liaison:
        root = await orgs.org_of(uow, user)
        people = await audience(uow, user)
        tally = await uow.trainings.hours(root.path, start, end)
        return [(p.display_name, tally.get(p.id or 0, 0.0)) for p in people]
    tally = await uow.trainings.hours("", start, end, user.id or 0)
    return [(user.display_name, tally.get(user.id or 0, 0.0))]
