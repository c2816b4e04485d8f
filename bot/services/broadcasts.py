"""Broadcast notices: a liaison writes to every instructor or liaison of a union subtree.

Each recipient is an outbox row. A tick claims pending rows (on PostgreSQL with FOR UPDATE
SKIP LOCKED, so several processes share the work), sends them through the rate-limited
sender and records the outcome at once; rows claimed by a process that died go back to
pending after a lease. Above a set audience size a second liaison must approve first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services import access, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.paging import Paged, read_page
from bot.services.text import clean_lines, has_content
from bot.settings import Settings
from storage.models import Broadcast, BroadcastDelivery, BroadcastStatus, Org, User
from storage.repositories import BroadcastJob
from storage.uow import UnitOfWork

TEXT_MAX = 8000  # split into several messages by the sender
ROLES = ("instructor", "liaison", "all")


def parse_text(text: str) -> str:
    value = clean_lines(text)
    if not has_content(value):
        raise Problem("broadcasts.empty_text")
    if len(value) > TEXT_MAX:
        raise Problem("broadcasts.too_long", length=len(value), max=TEXT_MAX)
    return value


def _liaison(user: User) -> None:
    access.liaison(user)


async def audience_orgs(uow: UnitOfWork, liaison: User) -> Sequence[Org]:
    _liaison(liaison)
    return await orgs.visible_orgs(uow, liaison)


async def recipients(uow: UnitOfWork, liaison: User, org_id: int, role: str) -> list[User]:
    _liaison(liaison)
    if role not in ROLES:
        raise Problem("common.expired_button")
    org = await orgs.require_within(uow, liaison, org_id)
    found = await uow.users.members_under(org.path)
    return [u for u in found if role == "all" or u.role.value == role]


async def create(
    uow: UnitOfWork,
    liaison: User,
    org_id: int,
    role: str,
    text: str,
    now: datetime,
    settings: Settings,
) -> Broadcast:
    people = await recipients(uow, liaison, org_id, role)
    if not people:
        raise Problem("broadcasts.nobody")
    needs_approval = len(people) > settings.broadcast_approval_above
    broadcast = await uow.broadcasts.add(
        Broadcast(
            org_id=org_id,
            audience_role=role,
            created_by_id=liaison.id or 0,
            text=parse_text(text),
            status=BroadcastStatus.awaiting_approval if needs_approval else BroadcastStatus.sending,
            total=len(people),
            created_at=now,
        )
    )
    await uow.broadcasts.add_deliveries(broadcast.id or 0, [p.id or 0 for p in people])
    return broadcast


async def approvers(uow: UnitOfWork, broadcast: Broadcast) -> tuple[Org | None, list[User]]:
    """Who may approve: the other liaisons of the author's union or, when it has none, of
    the nearest union above that has any. Only they: never any liaison above who happens
    to see the broadcast (nor a recipient forging the button)."""
    author = await uow.users.get(broadcast.created_by_id)
    if author is None:
        return None, []
    union = await uow.orgs.get(author.org_id)
    if union is None:
        return None, []
    org, found = await orgs.nearest_liaisons(uow, union, exclude=author.id)
    return (org, found) if found else (None, [])


async def request_approval(uow: UnitOfWork, broadcast: Broadcast) -> tuple[Org | None, list[User]]:
    """Who is asked to approve; when nobody up the tree can, the broadcast is withdrawn
    (its deliveries are never claimed) and `(None, [])` tells the caller to say so."""
    union, asked = await approvers(uow, broadcast)
    if not asked:
        broadcast.status = BroadcastStatus.cancelled
    return union, asked


@dataclass(frozen=True)
class Approved:
    broadcast: Broadcast
    author: User | None  # told of the progress


async def approve(uow: UnitOfWork, liaison: User, broadcast_id: int, now: datetime) -> Approved:
    broadcast = await uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise AccessDenied()
    _liaison(liaison)
    if broadcast.created_by_id == liaison.id:
        raise Problem("broadcasts.own_approval")
    _, allowed = await approvers(uow, broadcast)
    if liaison.id not in {u.id for u in allowed}:
        raise AccessDenied()
    if broadcast.status is not BroadcastStatus.awaiting_approval:
        raise Problem("broadcasts.already_approved")
    broadcast.status, broadcast.approved_by_id = BroadcastStatus.sending, liaison.id
    return Approved(broadcast, await uow.users.get(broadcast.created_by_id))


async def watch(uow: UnitOfWork, broadcast_id: int, chat_id: int, message_id: int) -> None:
    """Remember the author's progress message, edited as the sending goes on."""
    broadcast = await uow.broadcasts.get(broadcast_id)
    if broadcast is not None:
        broadcast.progress_chat_id, broadcast.progress_message_id = chat_id, message_id


async def claim(
    uow: UnitOfWork, now: datetime, settings: Settings, limit: int
) -> list[BroadcastJob]:
    lease = now - timedelta(seconds=settings.broadcast_lease_seconds)
    await uow.broadcasts.release_stale(lease)
    return await uow.broadcasts.claim(now, limit)


async def record(
    uow: UnitOfWork, done: Sequence[tuple[BroadcastJob, str]], now: datetime, settings: Settings
) -> None:
    """Record the outcome of sends (sent, blocked, failed: retried until the last attempt)."""
    await uow.broadcasts.record_many(
        [(job.broadcast_id, job.user_id, outcome) for job, outcome in done],
        now,
        settings.sender_max_attempts,
    )


@dataclass(frozen=True)
class Progress:
    broadcast: Broadcast
    counts: Counter[str]
    finished: bool

    @property
    def sent(self) -> int:
        return self.counts["sent"]


async def progress(uow: UnitOfWork, now: datetime, every: timedelta) -> list[Progress]:
    """Broadcasts whose progress message is due for an edit; finished ones are closed."""
    found = []
    for broadcast in await uow.broadcasts.sending():
        counts = Counter(await uow.broadcasts.counts(broadcast.id or 0))
        finished = counts["pending"] + counts["sending"] == 0
        if finished:
            broadcast.status, broadcast.finished_at = BroadcastStatus.done, now
        if finished or broadcast.progress_at is None or now - broadcast.progress_at >= every:
            broadcast.progress_at = now
            found.append(Progress(broadcast, counts, finished))
    return found


async def author_of(uow: UnitOfWork, broadcast_id: int) -> tuple[str, str]:
    """The author's name and union, for the notice's header."""
    broadcast = await uow.broadcasts.get(broadcast_id)
    author = await uow.users.get(broadcast.created_by_id) if broadcast else None
    if author is None:
        return "", ""
    return author.display_name, (await orgs.org_of(uow, author)).name


async def union_of(uow: UnitOfWork, user: User) -> str:
    return (await orgs.org_of(uow, user)).name


async def mine(uow: UnitOfWork, liaison: User) -> Sequence[Broadcast]:
    _liaison(liaison)
    return await uow.broadcasts.of_author(liaison.id or 0)


async def counts(uow: UnitOfWork, liaison: User, broadcast_id: int) -> Progress:
    broadcast = await uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise AccessDenied()
    _liaison(liaison)
    await orgs.require_within(uow, liaison, broadcast.org_id)
    tally = Counter(await uow.broadcasts.counts(broadcast_id))
    return Progress(broadcast, tally, broadcast.status is BroadcastStatus.done)


@dataclass(frozen=True)
class NoticeRow:
    broadcast: Broadcast
    author: str
    counts: dict[str, int]  # deliveries by status


async def board(uow: UnitOfWork, liaison: User, page: int, per_page: int) -> Paged[NoticeRow]:
    """The notices dashboard: the notices to the liaison's subtree (their own and those of
    liaisons above), newest first, each with its deliveries counted; paged in SQL."""
    _liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    listed = await read_page(
        lambda offset, limit: uow.broadcasts.page_in_subtree(root.path, offset, limit),
        page,
        per_page,
    )
    tally = await uow.broadcasts.counts_of([b.id or 0 for b, _ in listed.rows])
    rows = [NoticeRow(b, author, tally.get(b.id or 0, {})) for b, author in listed.rows]
    return Paged(rows, listed.page, listed.pages, listed.total)


async def undelivered(
    uow: UnitOfWork, liaison: User, broadcast_id: int, page: int, per_page: int
) -> Paged[tuple[User, BroadcastDelivery]]:
    """Whom a notice did not reach (failed, or the bot blocked), for the liaison to reach
    another way; the same rule as its counts: a liaison of the notice's union or above."""
    await counts(uow, liaison, broadcast_id)  # refuses a stranger's notice
    return await read_page(
        lambda offset, limit: uow.broadcasts.undelivered(broadcast_id, offset, limit),
        page,
        per_page,
    )
