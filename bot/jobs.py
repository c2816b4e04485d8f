"""Scheduled jobs. Each tick re-derives its due work from storage and is safe to run twice
or in two processes at once; jobs call services, never handlers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup

from bot import memory
from bot.callbacks import (
    AssignAct,
    AssignCB,
    Menu,
    MenuCB,
    RemindAct,
    RemindCB,
    TrainingAct,
    TrainingCB,
)
from bot.flow import Priority
from bot.presentation.notify import report_to_liaisons
from bot.presentation.ui import button, keyboard
from bot.sender import Delivery
from bot.services import broadcasts, duties, housekeeping, reminders, reports
from storage.db import optimize
from storage.models import User
from storage.repositories import BroadcastJob
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.clock import Clock
    from bot.presentation.rendering import Renderer
    from bot.sender import Sender
    from bot.services.anonymity import SurveyKeys
    from bot.settings import Settings
    from storage.db import Database


class Deps(Protocol):
    """What the scheduled ticks use of the application, and nothing else (bot.app.App has it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def db(self) -> Database: ...
    @property
    def renderer(self) -> Renderer: ...
    @property
    def sender(self) -> Sender: ...
    @property
    def bot(self) -> Bot: ...
    @property
    def survey_keys(self) -> SurveyKeys: ...


log = logging.getLogger(__name__)
T = TypeVar("T")
REMINDER_SENDS = 5  # reminders sent at once by one tick


async def housekeeping_tick(app: Deps) -> None:
    async with UnitOfWork(app.db.sessions) as uow:
        await housekeeping.prune(uow, app.clock.now(), app.settings, app.survey_keys)
        await uow.commit()
    await optimize(app.db.engine)
    gc.collect()  # what a burst left (the start-up heap is frozen out of the walk)
    memory.trim()


async def escalation_tick(app: Deps) -> int:
    """Send unacknowledged major-problem reports one union up. The claim and the sends share
    one transaction, committed after sending: a crash in between repeats an alert rather
    than losing one."""
    async with UnitOfWork(app.db.sessions) as uow:
        due = await reports.escalate_due(uow, app.clock.now(), app.settings)
        for escalation in due:
            await report_to_liaisons(
                app.sender,
                app.renderer,
                escalation.report,
                escalation.reporter,
                escalation.reported_in,
                escalation.recipients,
                escalated_from=escalation.reported_in,
                minutes=app.settings.report_escalation_minutes,
            )
        await uow.commit()
    if due:
        log.info("escalated %s major-problem report(s)", len(due))
    return len(due)


class Recorder(Generic[T]):
    """Writes the outcomes of sends by group commit: each write takes what arrived while the
    previous one was going on. At most `room` sends are ever unrecorded: a send waits for
    room, freed when its outcome is committed, so a slow database slows the sending rather
    than widening the window.

    A crash can leave sent but unrecorded (and so sent again once the claim's lease runs
    out) only those few: the Bot API has no idempotency key, so no bot can tell whether a
    request in flight when it died was delivered; the window is narrowed, not closed."""

    def __init__(self, write: Callable[[list[T]], Awaitable[None]], room: int) -> None:
        self._write = write
        self._items: list[T] = []
        self._arrived = asyncio.Event()
        self._room = asyncio.Semaphore(room)

    @staticmethod
    def room_for(rate: float) -> int:
        """Room for 50 ms of sends at `rate` per second, at least 2."""
        return max(2, math.ceil(rate * 0.05))

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[Callable[[T], None]]:
        """Hold room for one send; call the function it yields with the outcome."""
        await self._room.acquire()
        added = False

        def add(item: T) -> None:
            nonlocal added
            added = True
            self._items.append(item)
            self._arrived.set()

        try:
            yield add
        finally:
            if not added:
                self._room.release()

    async def _flush(self) -> None:
        self._arrived.clear()
        if self._items:
            items, self._items = self._items, []
            try:
                await self._write(items)
            finally:
                for _ in items:
                    self._room.release()

    async def during(self, work: Awaitable[Any]) -> None:
        """Run `work` (the sends), writing outcomes as they arrive, then the last ones."""
        sending = asyncio.ensure_future(work)
        try:
            while not sending.done():
                waiting = asyncio.ensure_future(self._arrived.wait())
                await asyncio.wait([sending, waiting], return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                await self._flush()
            await sending
        finally:
            await self._flush()


@dataclass(frozen=True)
class Due:
    """A claimed reminder, as the tick needs it once its claim is committed."""

    reminder_id: int
    recipient_id: int
    payload: dict[str, Any]
    urgent: bool
    late: bool
    kind: str


@dataclass
class ReminderTick:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    blocked: int = 0
    late: int = 0


async def reminder_tick(app: Deps) -> ReminderTick:
    """Claim due reminders (committed at once, so another process skips them), send each
    through the sender, and record the outcomes by group commit (Recorder)."""
    settings, now, stats = app.settings, app.clock.now(), ReminderTick()
    async with UnitOfWork(app.db.sessions) as uow:
        claimed = [
            Due(
                r.id or 0,
                r.recipient_id,
                dict(r.payload),
                r.urgent,
                reminders.is_late(r, now, settings),
                r.kind,
            )
            for r in await reminders.claim(uow, now, settings)
        ]
        await uow.commit()
    zone, start, end = settings.zone, settings.quiet_hours_start, settings.quiet_hours_end
    slots = asyncio.Semaphore(REMINDER_SENDS)

    async def write(outcomes: list[tuple[int, str, bool]]) -> None:
        async with UnitOfWork(app.db.sessions) as uow:
            for reminder_id, outcome, late in outcomes:
                await reminders.mark(uow, reminder_id, outcome, now, settings, late)
            await uow.commit()

    room = Recorder.room_for(settings.sender_global_rate)
    recorder: Recorder[tuple[int, str, bool]] = Recorder(write, room)

    async def prepare(due: Due) -> tuple[int, str, InlineKeyboardMarkup | None] | None:
        """The recipient's chat, text and buttons; None when nothing is to be sent now
        (quiet hours, a recipient gone, an empty digest), which is recorded here."""
        reminder_id, payload, late = due.reminder_id, due.payload, due.late
        async with UnitOfWork(app.db.sessions) as uow:
            if not due.urgent and reminders.in_quiet_hours(now, zone, start, end):
                await reminders.defer(
                    uow, reminder_id, reminders.after_quiet_hours(now, zone, start, end)
                )
                stats.deferred += 1
                await uow.commit()
                return None
            recipient = await uow.users.get(due.recipient_id)
            if recipient is None or not recipient.active:
                await reminders.mark(uow, reminder_id, "blocked", now, settings, late)
                await uow.commit()
                return None
            if payload.get("dynamic"):
                text = await render_overview(app, uow, recipient, str(payload["dynamic"]), now)
                if text is None:  # nothing to report today
                    await reminders.skip(uow, reminder_id)
                    await uow.commit()
                    return None
            else:
                text = render_reminder(app, recipient.locale, payload, late)
            markup = reminder_markup(app, recipient.locale, reminder_id, due.kind, payload)
            return recipient.telegram_id, text, markup

    async def handle(due: Due) -> None:
        async with slots:
            ready = await prepare(due)
            if ready is None:
                return
            chat_id, text, markup = ready
            async with recorder.sending() as record:
                delivery = await app.sender.send_message(
                    chat_id, text, priority=reminder_priority(due), reply_markup=markup
                )
                record((due.reminder_id, delivery.value, due.late))
        stats.sent += delivery is Delivery.sent
        stats.late += due.late and delivery is Delivery.sent
        stats.blocked += delivery is Delivery.blocked
        stats.failed += delivery is Delivery.failed

    # Several recipients at once, so the sender's pace and not each send's round trip sets
    # the rate; one recipient's reminders in their order.
    by_recipient: dict[int, list[Due]] = {}
    for due in claimed:
        by_recipient.setdefault(due.recipient_id, []).append(due)

    async def in_order(items: list[Due]) -> None:
        for due in items:
            await handle(due)

    await recorder.during(asyncio.gather(*(in_order(items) for items in by_recipient.values())))
    return stats


def reminder_priority(due: Due) -> Priority:
    """Recurring duties and digests are bulk; a reminder about a person's own deadline,
    task, training or survey is a notification to them."""
    return Priority.bulk if due.kind == "duty" or due.payload.get("dynamic") else Priority.notify


def reminder_markup(
    app: Deps, locale: str, reminder_id: int, kind: str, payload: dict[str, Any]
) -> InlineKeyboardMarkup | None:
    """Done and snooze under a reminder the recipient can act on; a training's calls carry
    attend / cannot or check-in instead."""
    label = app.renderer.label
    training_id = int(payload.get("training_id", 0))
    if payload.get("buttons") == "respond":
        return keyboard(
            [
                [
                    button(
                        label(locale, f"labels.training_{answer}"),
                        TrainingCB(training_id=training_id, action=answer),
                    )
                    for answer in (TrainingAct.attend, TrainingAct.cannot)
                ]
            ]
        )
    if payload.get("buttons") == "answer":
        aid = int(payload.get("assignment_id", 0))
        return keyboard(
            [
                [
                    button(
                        label(locale, "labels.assignment_accept"),
                        AssignCB(assignment_id=aid, action=AssignAct.accept),
                    ),
                    button(
                        label(locale, "labels.assignment_decline"),
                        AssignCB(assignment_id=aid, action=AssignAct.decline),
                    ),
                ]
            ]
        )
    if payload.get("buttons") == "checkin":
        checkin = TrainingCB(training_id=training_id, action=TrainingAct.checkin)
        return keyboard([[button(label(locale, "labels.training_checkin"), checkin)]])
    if kind not in reminders.WITH_ACTIONS:
        return None
    return keyboard(
        [
            [
                button(
                    label(locale, "labels.remind_done"),
                    RemindCB(reminder_id=reminder_id, action=RemindAct.done),
                ),
                button(
                    label(locale, "labels.remind_hour"),
                    RemindCB(reminder_id=reminder_id, action=RemindAct.hour),
                ),
                button(
                    label(locale, "labels.remind_tomorrow"),
                    RemindCB(reminder_id=reminder_id, action=RemindAct.tomorrow),
                ),
            ]
        ]
    )


async def render_overview(
    app: Deps, uow: UnitOfWork, recipient: User, kind: str, now: datetime
) -> str | None:
    """The morning digest or the weekly summary, written as it is sent; None when empty."""
    renderer, locale = app.renderer, recipient.locale
    if kind == "digest":
        found = await duties.digest(uow, recipient, now, app.settings)
        if found.empty:
            return None
        return renderer.text(
            locale,
            "reminders.digest",
            today=[(r.due_at, render_reminder(app, locale, r.payload, False)) for r in found.today],
            overdue=[
                (r.due_at, render_reminder(app, locale, r.payload, False)) for r in found.overdue
            ],
        )
    summary = await duties.weekly(uow, recipient, now, app.settings)
    if summary.empty:
        return None
    return renderer.text(locale, "reminders.weekly", rows=summary.rows)


async def duty_tick(app: Deps) -> dict[str, int]:
    """Plan recurring duties, digests and summaries, and repeat overdue rectifications."""
    async with UnitOfWork(app.db.sessions) as uow:
        done = await duties.tick(uow, app.clock.now(), app.settings)
        await uow.commit()
    return done


def render_reminder(app: Deps, locale: str, payload: dict[str, Any], late: bool) -> str:
    renderer = app.renderer
    params = dict(payload.get("params", {}))
    if "deadline" in params:
        params["deadline_label"] = renderer.text(locale, f"cases.deadline_{params['deadline']}")
    if "at" in params:
        params["at"] = renderer.format_datetime(datetime.fromisoformat(params["at"]))
    if "kind" in params and payload.get("training_id"):
        params["kind"] = renderer.label(locale, f"labels.training_kind_{params['kind']}")
    if "kind" in params and payload.get("assignment_id"):
        params["kind"] = renderer.label(locale, f"labels.assignment_kind_{params['kind']}")
    text = renderer.text(locale, str(payload["key"]), **params)
    return renderer.text(locale, "reminders.late_prefix") + "\n" + text if late else text


def broadcast_rate(settings: Settings) -> float:
    """What bulk may send a second: the paid-broadcast budget when the union enabled it."""
    return (
        settings.sender_paid_rate if settings.sender_paid_broadcast else settings.sender_global_rate
    )


def broadcast_batch(settings: Settings) -> int:
    return max(1, int(broadcast_rate(settings) * settings.broadcast_tick_seconds * 2))


async def broadcast_run(app: Deps, seconds: float = 30.0) -> int:
    """The scheduler's job: batches back to back while a batch comes back full, for up to
    `seconds`, so the flow controller and not the tick interval sets the pace."""
    started, total = time.monotonic(), 0
    while True:
        sent = await broadcast_tick(app)
        total += sent
        if sent < broadcast_batch(app.settings) or time.monotonic() - started > seconds:
            return total


async def broadcast_tick(app: Deps) -> int:
    """Send a batch of broadcast deliveries at the sender's pace, record the outcomes by
    group commit (Recorder), and edit the authors' progress messages."""
    settings, now = app.settings, app.clock.now()
    limit = broadcast_batch(settings)
    async with UnitOfWork(app.db.sessions) as uow:
        batch = await broadcasts.claim(uow, now, settings, limit)
        headers = {  # once per broadcast in the batch, not per recipient
            bid: await broadcasts.author_of(uow, bid) for bid in {job.broadcast_id for job in batch}
        }
        await uow.commit()
    slots = asyncio.Semaphore(50)

    async def write(done: list[tuple[BroadcastJob, str]]) -> None:
        async with UnitOfWork(app.db.sessions) as uow:
            await broadcasts.record(uow, done, app.clock.now(), settings)
            await uow.commit()

    room = Recorder.room_for(broadcast_rate(settings))
    recorder: Recorder[tuple[BroadcastJob, str]] = Recorder(write, room)
    notices: dict[tuple[int, str], str] = {}

    def notice(job: BroadcastJob) -> str:
        """The notice as its recipients read it, rendered once per broadcast and language."""
        key = (job.broadcast_id, job.locale)
        if key not in notices:
            author, union = headers[job.broadcast_id]
            notices[key] = app.renderer.text(
                job.locale, "broadcasts.notice", body=job.text, author=author, union=union
            )
        return notices[key]

    async def deliver(job: BroadcastJob) -> None:
        text = notice(job)
        async with slots, recorder.sending() as record:
            delivery = await app.sender.send_message(job.telegram_id, text, priority=Priority.bulk)
            record((job, delivery.value))

    await recorder.during(asyncio.gather(*(deliver(job) for job in batch)))
    await report_progress(app)
    return len(batch)


async def report_progress(app: Deps) -> None:
    every = timedelta(seconds=app.settings.broadcast_progress_seconds)
    async with UnitOfWork(app.db.sessions) as uow:
        due = await broadcasts.progress(uow, app.clock.now(), every)
        authors = {p.broadcast.id: await uow.users.get(p.broadcast.created_by_id) for p in due}
        await uow.commit()
    for found in due:
        author = authors.get(found.broadcast.id)
        if author is None:
            continue
        counts = found.counts
        params = {
            "sent": counts["sent"],
            "failed": counts["failed"],
            "blocked": counts["blocked"],
            "total": found.broadcast.total,
            "finished": found.finished,
        }
        text = app.renderer.text(author.locale, "broadcasts.progress", **params)
        chat_id, message_id = found.broadcast.progress_chat_id, found.broadcast.progress_message_id
        if chat_id and message_id:
            with contextlib.suppress(TelegramAPIError):  # "not modified", or deleted
                await app.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
        if found.finished:
            home = keyboard(
                [
                    [
                        button(
                            app.renderer.label(author.locale, "labels.back_to_menu"),
                            MenuCB(action=Menu.home),
                        )
                    ]
                ]
            )
            await app.sender.send_message(
                author.telegram_id,
                app.renderer.text(author.locale, "broadcasts.report", **params),
                reply_markup=home,
            )
