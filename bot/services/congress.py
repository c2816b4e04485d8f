"""The workers' congress held online (职代会线上表决) on a case's draft contract.

The instructor convenes a sitting for all the representatives: one personal, single-use link
per seat (printed as slips with QR codes). Opening a link checks its holder in; once the
legal quorum is present (Art. 36 of the Collective Contract Provisions: at least two thirds
of ALL representatives) the instructor opens the vote; each representative checked in votes
for, against or abstains, once, by secret ballot; the count (more than half of ALL the
representatives for) goes on the case, exactly as a paper count does.

Secrecy holds against someone holding a copy of the database, as for survey answers
(bot/services/anonymity.py): a seat is found by a keyed hash of its link; who checked in on
it by a keyed hash of congress and Telegram id (so one person holds one seat), forgotten at
the close; a ballot is a separate row with a random id, sealed under the key (the three
choices seal to the same length) until the count, then deleted; only the counts remain.
Nobody, the instructor included, sees a running tally: only how many are present and how
many have voted.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.services import cases
from bot.services.anonymity import SurveyKeys
from bot.services.bargaining import congress_vote
from bot.services.errors import Problem
from bot.services.numbers import parse_int
from bot.services.profiles import today_in
from bot.services.text import text_value
from bot.settings import LegalSettings, Settings
from storage.models import (
    BargainingCase,
    CaseDocument,
    Congress,
    CongressSeat,
    CongressStatus,
    Stage,
    User,
)
from storage.uow import UnitOfWork

TOKEN_PREFIX = "cg_"
TOKEN_RE = re.compile(r"^cg_[A-Za-z0-9_-]{16,40}$")
SEATS_MAX = 1000  # a large enterprise's congress; the slips stay printable
MOTION_MAX = 300
CONTRACT_KINDS = ("contract", "wage", "women", "safety")


class Choice(StrEnum):
    """A ballot's choice: one letter each, so the three seal to the same length."""

    yes = "y"
    no = "n"
    abstain = "a"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(16)


def parse_total(text: str) -> int:
    value = parse_int(text, 1, SEATS_MAX)
    if value is None:
        raise Problem("congress.bad_total", most=SEATS_MAX)
    return value


def parse_motion(text: str) -> str:
    return text_value(text, 4, MOTION_MAX, "congress.bad_motion")


@dataclass(frozen=True)
class Needs:
    present: int  # at least this many checked in
    yes: int  # at least this many for


def needs(total: int, legal: LegalSettings) -> Needs:
    result = congress_vote(total, 0, 0, legal)
    return Needs(result.needed_present, result.needed_yes)


@dataclass(frozen=True)
class Live:
    """A sitting as the instructor's panel shows it: attendance and votes cast, never how."""

    congress: Congress
    present: int
    voted: int
    needs: Needs

    @property
    def quorate(self) -> bool:
        return self.present >= self.needs.present

    @property
    def missing(self) -> int:
        return max(0, self.needs.present - self.present)


async def _live(uow: UnitOfWork, congress: Congress, legal: LegalSettings) -> Live:
    counted = await uow.congress.attendance(congress.id or 0)
    return Live(congress, counted.present, counted.voted, needs(congress.total, legal))


async def _mine(uow: UnitOfWork, user: User, congress_id: int) -> Congress:
    """A sitting on a case the user may change (locked for the rest of the update)."""
    congress = await uow.congress.locked(congress_id)
    if congress is None:
        raise Problem("common.expired_button")
    await cases.editable(uow, user, congress.case_id)
    return congress


# ----- the instructor -----
async def ready(uow: UnitOfWork, user: User, case_id: int) -> BargainingCase:
    """A case whose draft may go before the congress now (asked before the form)."""
    case = await cases.editable(uow, user, case_id)
    if case.stage is not Stage.draft:
        raise Problem("cases.congress_only_in_draft")
    return case


async def sitting_of(uow: UnitOfWork, user: User, case_id: int) -> Congress | None:
    """The case's sitting still open, if any."""
    await cases.editable(uow, user, case_id)
    return await uow.congress.open_of_case(case_id)


async def convene(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    total: int,
    motion: str,
    now: datetime,
    keys: SurveyKeys,
) -> tuple[Congress, list[str]]:
    """Open a sitting with one seat and one link per representative; the links, returned
    once here, are kept sealed so the slips can be printed again."""
    await ready(uow, user, case_id)
    if await uow.congress.open_of_case(case_id) is not None:
        raise Problem("congress.already_open")
    if not 1 <= total <= SEATS_MAX:
        raise Problem("congress.bad_total", most=SEATS_MAX)
    congress = await uow.congress.add(
        Congress(
            case_id=case_id,
            motion=parse_motion(motion),
            total=total,
            status=CongressStatus.checkin,
            created_by=user.id or 0,
            created_at=now,
        )
    )
    tokens = [new_token() for _ in range(total)]
    await uow.congress.add_seats(
        [
            CongressSeat(
                congress_id=congress.id or 0,
                number=number,
                lookup=keys.seat(token),
                sealed_token=keys.seal({"t": token}),
            )
            for number, token in enumerate(tokens, start=1)
        ]
    )
    return congress, tokens


@dataclass(frozen=True)
class Slip:
    number: int
    token: str
    present: bool


async def slips(
    uow: UnitOfWork, user: User, congress_id: int, keys: SurveyKeys
) -> tuple[Congress, list[str], list[Slip]]:
    """Every seat's link again, for printing, while the sitting is open; and the names of
    the case's enterprises."""
    congress = await _mine(uow, user, congress_id)
    if congress.status not in (CongressStatus.checkin, CongressStatus.voting):
        raise Problem("congress.ended")
    found = []
    for seat in await uow.congress.seats(congress_id):
        data = keys.unseal(seat.sealed_token) if seat.sealed_token else None
        if data is not None:
            found.append(Slip(seat.number, str(data["t"]), seat.present))
    names = [e.name for e in await uow.cases.enterprises_of(congress.case_id)]
    return congress, names, found


async def panel(uow: UnitOfWork, user: User, congress_id: int, legal: LegalSettings) -> Live:
    return await _live(uow, await _mine(uow, user, congress_id), legal)


async def open_voting(
    uow: UnitOfWork, user: User, congress_id: int, now: datetime, legal: LegalSettings
) -> Live:
    """The vote opens only with the legal quorum present."""
    congress = await _mine(uow, user, congress_id)
    if congress.status is not CongressStatus.checkin:
        raise Problem("congress.not_checking_in")
    live = await _live(uow, congress, legal)
    if not live.quorate:
        raise Problem(
            "congress.not_quorate",
            present=live.present,
            total=congress.total,
            needed=live.needs.present,
            missing=live.missing,
        )
    congress.status, congress.voting_at = CongressStatus.voting, now
    return live


async def close(
    uow: UnitOfWork,
    user: User,
    congress_id: int,
    now: datetime,
    keys: SurveyKeys,
    settings: Settings,
) -> Live:
    """Count: unseal the ballots, write the counts on the sitting and the result on the case
    (as a paper count would be), then forget the ballots, the holders and the links, and
    have the database files scrubbed of their old pages."""
    congress = await _mine(uow, user, congress_id)
    if congress.status is not CongressStatus.voting:
        raise Problem("congress.not_voting")
    case = await ready(uow, user, congress.case_id)
    live = await _live(uow, congress, settings.legal)
    tally = {choice: 0 for choice in Choice}
    unread = 0
    for blob in await uow.congress.ballots(congress_id):
        data = keys.unseal(blob)
        try:
            tally[Choice(str((data or {}).get("v")))] += 1
        except ValueError:  # sealed under a key since replaced
            unread += 1
    result = congress_vote(congress.total, live.present, tally[Choice.yes], settings.legal)
    congress.status, congress.closed_at = CongressStatus.closed, now
    congress.held_on = today_in(settings.zone, now)
    congress.present, congress.yes = live.present, tally[Choice.yes]
    congress.no, congress.abstain, congress.unread = tally[Choice.no], tally[Choice.abstain], unread
    congress.passed = result.passed
    case.congress_total, case.congress_present = congress.total, live.present
    case.congress_yes, case.congress_passed = tally[Choice.yes], result.passed
    case.updated_at = now
    await uow.congress.forget(congress_id)
    uow.scrub_after_commit()
    return await _live(uow, congress, settings.legal)


async def cancel(uow: UnitOfWork, user: User, congress_id: int, now: datetime) -> Congress:
    """Call a sitting off before the count: its ballots are destroyed unread."""
    congress = await _mine(uow, user, congress_id)
    if congress.status not in (CongressStatus.checkin, CongressStatus.voting):
        raise Problem("congress.ended")
    congress.status, congress.closed_at = CongressStatus.cancelled, now
    await uow.congress.forget(congress_id)
    uow.scrub_after_commit()
    return congress


async def latest_closed(uow: UnitOfWork, case_id: int) -> Congress | None:
    """The case's last counted sitting (the resolution's source), if it was held online."""
    for congress in await uow.congress.of_case(case_id):
        if congress.status is CongressStatus.closed:
            return congress
    return None


# ----- the representative -----
@dataclass(frozen=True)
class SeatView:
    congress: Congress
    number: int
    voted: bool
    enterprises: list[str]


async def _open_sitting(uow: UnitOfWork, congress_id: int) -> Congress:
    congress = await uow.congress.locked(congress_id)
    if congress is None:
        raise Problem("congress.unknown_link")
    if congress.status is CongressStatus.cancelled:
        raise Problem("congress.cancelled")
    if congress.status is CongressStatus.closed:
        raise Problem(
            "congress.closed_now",
            passed=congress.passed,
            yes=congress.yes,
            no=congress.no,
            abstain=congress.abstain,
            present=congress.present,
            total=congress.total,
        )
    return congress


async def _view(uow: UnitOfWork, congress: Congress, seat: CongressSeat) -> SeatView:
    names = [e.name for e in await uow.cases.enterprises_of(congress.case_id)]
    return SeatView(congress, seat.number, seat.voted, names)


async def check_in(uow: UnitOfWork, keys: SurveyKeys, token: str, telegram_id: int) -> SeatView:
    """Opening a link: the first account to open it holds the seat, and one account holds
    one seat. Opening it again shows the seat."""
    seat = await uow.congress.seat_by_lookup(keys.seat(token)) if TOKEN_RE.match(token) else None
    if seat is None:
        raise Problem("congress.unknown_link")
    congress = await _open_sitting(uow, seat.congress_id)
    holder = keys.holder(congress.id or 0, telegram_id)
    if seat.holder is None:
        other = await uow.congress.seat_of(congress.id or 0, holder)
        if other is not None:
            raise Problem("congress.one_seat", number=other.number)
        seat.holder, seat.present = holder, True
    elif seat.holder != holder:
        raise Problem("congress.link_used")
    return await _view(uow, congress, seat)


async def my_seat(
    uow: UnitOfWork, keys: SurveyKeys, congress_id: int, telegram_id: int
) -> tuple[SeatView, CongressSeat]:
    congress = await _open_sitting(uow, congress_id)
    seat = await uow.congress.seat_of(congress_id, keys.holder(congress_id, telegram_id))
    if seat is None:
        raise Problem("congress.no_seat")
    return await _view(uow, congress, seat), seat


async def ballot(uow: UnitOfWork, keys: SurveyKeys, congress_id: int, telegram_id: int) -> SeatView:
    """The ballot paper, once the vote is open, for a seat that has not voted."""
    view, _ = await my_seat(uow, keys, congress_id, telegram_id)
    if view.congress.status is CongressStatus.checkin:
        raise Problem("congress.not_yet")
    if view.voted:
        raise Problem("congress.already_voted")
    return view


async def cast(
    uow: UnitOfWork, keys: SurveyKeys, congress_id: int, telegram_id: int, choice: Choice
) -> SeatView:
    """Cast the seat's one vote: the seat is marked, the ballot sealed apart from it."""
    view, seat = await my_seat(uow, keys, congress_id, telegram_id)
    if view.congress.status is not CongressStatus.voting:
        raise Problem("congress.not_yet")
    if seat.voted:
        raise Problem("congress.already_voted")
    seat.voted = True
    await uow.congress.add_ballot(congress_id, keys.seal({"v": choice.value}))
    return SeatView(view.congress, view.number, True, view.enterprises)


async def draft_for(
    uow: UnitOfWork, keys: SurveyKeys, congress_id: int, telegram_id: int
) -> CaseDocument | None:
    """The draft before the congress (the case's latest contract document), for a
    representative holding a seat of the open sitting."""
    view, _ = await my_seat(uow, keys, congress_id, telegram_id)
    return await uow.documents.latest_of_kinds(view.congress.case_id, CONTRACT_KINDS)
