"""Bargaining cases: opening one, moving it through the stages, the congress vote, and
what the case card and the case list show."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.services import access, enterprises, orgs, reminders
from bot.services.bargaining import (
    IN_FORCE_STAGES,
    TRANSITIONS,
    CongressResult,
    Deadlines,
    TransitionRefused,
    check_transition,
    congress_vote,
    deadlines,
    milestones,
)
from bot.services.errors import AccessDenied, Problem
from bot.services.numbers import parse_int
from bot.services.profiles import today_in
from bot.services.text import text_value
from bot.settings import LegalSettings, Settings
from storage.models import (
    BargainingCase,
    CaseTopic,
    CaseType,
    Enterprise,
    NegotiationRound,
    Role,
    Stage,
    StageEvent,
    User,
)
from storage.uow import UnitOfWork


def parse_year(text: str, today: date) -> int:
    value = parse_int(text.strip().removesuffix("年度"), today.year - 1, today.year + 2)
    if value is None:
        raise Problem("cases.bad_year", low=today.year - 1, high=today.year + 2)
    return value


@dataclass(frozen=True)
class CaseView:
    case: BargainingCase
    enterprises: list[Enterprise]
    deadlines: Deadlines
    upcoming: list[tuple[str, date]]
    next_stages: tuple[Stage, ...]
    editable: bool
    topics: list[CaseTopic]
    last_round: NegotiationRound | None


async def load(uow: UnitOfWork, user: User, case_id: int) -> tuple[BargainingCase, bool]:
    """The case and whether the user may change it; AccessDenied when they may not see it."""
    case = await uow.cases.get(case_id)
    if case is None:
        raise AccessDenied()
    if user.role is Role.instructor and case.owner_id == user.id:
        return case, True
    if user.role is Role.instructor and await uow.cases.is_shared(case_id, user.id or 0):
        return case, False
    if user.role is Role.liaison:
        await orgs.require_within(uow, user, case.org_id)
        return case, False
    raise AccessDenied()


async def editable(uow: UnitOfWork, user: User, case_id: int) -> BargainingCase:
    """The case, if the user may change it (its owner); AccessDenied otherwise."""
    case, editable = await load(uow, user, case_id)
    if not editable:
        raise AccessDenied()
    return case


async def open_case(
    uow: UnitOfWork,
    user: User,
    enterprise_id: int,
    case_type: CaseType,
    year: int,
    now: datetime,
    zone: ZoneInfo,
) -> BargainingCase:
    access.instructor(user)
    enterprise = await enterprises.visible(uow, user, enterprise_id)
    today = today_in(zone, now)
    case = await uow.cases.add(
        BargainingCase(
            org_id=user.org_id,
            owner_id=user.id or 0,
            case_type=case_type,
            year=year,
            stage=Stage.preparing,
            stage_on=today,
            created_at=now,
            updated_at=now,
        ),
        [enterprise.id or 0],
    )
    await uow.cases.add_event(
        StageEvent(
            case_id=case.id or 0, to_stage=Stage.preparing, on=today, by_id=user.id or 0, at=now
        )
    )
    return case


async def view(
    uow: UnitOfWork, user: User, case_id: int, now: datetime, zone: ZoneInfo, legal: LegalSettings
) -> CaseView:
    case, editable = await load(uow, user, case_id)
    found = deadlines(case.case_type, milestones(case), legal)
    meetings = await uow.rounds.of_case(case_id)
    return CaseView(
        case,
        list(await uow.cases.enterprises_of(case_id)),
        found,
        found.upcoming(today_in(zone, now), case.stage),
        TRANSITIONS[case.stage] if editable else (),
        editable,
        list(await uow.topics.of_case(case_id)),
        meetings[-1] if meetings else None,
    )


@dataclass(frozen=True)
class CaseRow:
    """A case as a list shows it: its enterprises and the deadlines still awaited."""

    case: BargainingCase
    enterprises: list[Enterprise]
    upcoming: list[tuple[str, date]]


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class CaseFilter:
    """A dashboard's filters; None: any."""

    org_id: int | None = None  # a union of the liaison's subtree (and those below it)
    stage: Stage | None = None
    case_type: CaseType | None = None
    year: int | None = None


ORDERS = ("recent", "year", "stage")


async def case_page(
    uow: UnitOfWork,
    user: User,
    page: int,
    per_page: int,
    now: datetime,
    zone: ZoneInfo,
    legal: LegalSettings,
    filters: CaseFilter | None = None,
    order: str = "recent",
) -> CasePage:
    """One page of the cases the user sees (an instructor's own and shared ones; a
    liaison's subtree, or one union of it), filtered and ordered in SQL, in three queries
    however many cases there are; deadlines are computed for the rows shown only."""
    found_filters = filters or CaseFilter()
    path = None if user.role is Role.instructor else (await orgs.org_of(uow, user)).path
    if found_filters.org_id is not None:
        if user.role is Role.instructor:
            raise AccessDenied()
        path = (await orgs.require_within(uow, user, found_filters.org_id)).path
    where = [
        condition
        for value, condition in (
            (found_filters.stage, BargainingCase.stage == found_filters.stage),
            (found_filters.case_type, BargainingCase.case_type == found_filters.case_type),
            (found_filters.year, BargainingCase.year == found_filters.year),
        )
        if value is not None
    ]
    order = order if order in ORDERS else "recent"
    page = max(page, 1)
    found, total = await uow.cases.page(
        user.id, path, (page - 1) * per_page, per_page, where, order
    )
    pages = max(1, -(-total // per_page))
    if page > pages:  # the list shrank since the button was drawn
        page = pages
        found, total = await uow.cases.page(
            user.id, path, (page - 1) * per_page, per_page, where, order
        )
    firms = await uow.cases.enterprises_of_many([c.id or 0 for c in found])
    today = today_in(zone, now)
    rows = [
        CaseRow(
            case,
            firms.get(case.id or 0, []),
            deadlines(case.case_type, milestones(case), legal).upcoming(today, case.stage),
        )
        for case in found
    ]
    return CasePage(rows, page, pages, total)


@dataclass(frozen=True)
class ExportBatch:
    """Some of an export's cases, with who owns each and under which union; how many are
    done with this batch and how many there are in all."""

    rows: list[CaseRow]
    owners: dict[int, str]
    unions: dict[int, str]
    done: int
    total: int


EXPORT_PAGE = 500  # cases read at a time for an export: memory bounded by the batch


async def export_batches(
    uow: UnitOfWork,
    user: User,
    filters: CaseFilter,
    order: str,
    now: datetime,
    zone: ZoneInfo,
    legal: LegalSettings,
) -> AsyncIterator[ExportBatch]:
    """Every case the dashboard's filters select, a batch at a time (three queries for the
    page, one each for its owners and unions), so that a province's export never holds more
    than a batch of cases as objects and can say how far it is."""
    page = 1
    while True:
        found = await case_page(uow, user, page, EXPORT_PAGE, now, zone, legal, filters, order)
        owners = {
            u.id or 0: u.display_name
            for u in await uow.users.many(r.case.owner_id for r in found.rows)
        }
        unions = {o.id or 0: o.name for o in await uow.orgs.many(r.case.org_id for r in found.rows)}
        done = min(found.page * EXPORT_PAGE, found.total)
        yield ExportBatch(found.rows, owners, unions, done, found.total)
        if found.page >= found.pages:
            return
        page += 1


@dataclass(frozen=True)
class Board:
    """The cases dashboard: a page, who owns each row and under which union, and what the
    filters may choose from."""

    page: CasePage
    owners: dict[int, str]
    unions: dict[int, str]
    union_choices: list[tuple[int, str]]
    years: list[int]


async def board(
    uow: UnitOfWork,
    user: User,
    filters: CaseFilter,
    order: str,
    page: int,
    per_page: int,
    now: datetime,
    zone: ZoneInfo,
    legal: LegalSettings,
) -> Board:
    shown = await case_page(uow, user, page, per_page, now, zone, legal, filters, order)
    cases_shown = [r.case for r in shown.rows]
    owners = {
        u.id or 0: u.display_name for u in await uow.users.many(c.owner_id for c in cases_shown)
    }
    if user.role is Role.instructor:
        choices: list[tuple[int, str]] = []
        path = None
    else:
        subtree = await orgs.visible_orgs(uow, user)
        choices = [(o.id or 0, o.name) for o in subtree]
        path = (await orgs.org_of(uow, user)).path
    names = dict(choices)
    if user.role is Role.instructor:
        names = {o.id or 0: o.name for o in await uow.orgs.many(c.org_id for c in cases_shown)}
    return Board(shown, owners, names, choices, await uow.cases.years(user.id, path))


async def check_move(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    target: Stage,
    on: date,
    now: datetime,
    zone: ZoneInfo,
    legal: LegalSettings,
) -> BargainingCase:
    """The case, if the user may move it to `target` on day `on`; a Problem saying why not."""
    case = await editable(uow, user, case_id)
    if on > today_in(zone, now):
        raise Problem("cases.date_in_future")
    # The day a case was opened in the bot does not bound the first step: instructors
    # record offers sent before they started using it.
    previous = None if case.stage is Stage.preparing else case.stage_on
    effective = deadlines(case.case_type, milestones(case), legal).effective
    try:
        check_transition(case.stage, target, on, previous, case.congress_passed, effective)
    except TransitionRefused as refused:
        raise Problem(refused.reason, **refused.params) from None
    return case


def is_objection(current: Stage, target: Stage) -> bool:
    """A filed contract sent back to negotiating: the review objected to it."""
    return current is Stage.filed and target is Stage.negotiating


def objection_note(reasons: str, articles: str) -> str:
    return reasons if not articles else f"{reasons}\n涉及条款：{articles}"


async def move(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    target: Stage,
    on: date,
    now: datetime,
    settings: Settings,
    term_years: int | None = None,
    note: str = "",
) -> BargainingCase:
    """`note`: the reasons of the labour administration's objection, required when a filed
    contract goes back to negotiating."""
    case = await check_move(uow, user, case_id, target, on, now, settings.zone, settings.legal)
    if is_objection(case.stage, target) and not note.strip():
        raise Problem("cases.objection_needs_reasons")
    if target is Stage.signed:
        if term_years is None:
            raise Problem("cases.term_needed")
        legal = settings.legal
        if not legal.term_min_years <= term_years <= legal.term_max_years:
            raise Problem("cases.bad_term", low=legal.term_min_years, high=legal.term_max_years)
        case.signed_on, case.term_years = on, term_years
    elif target is Stage.offer_sent:
        case.offer_on = on
    elif target is Stage.negotiating and case.first_round_on is None:
        case.first_round_on = on
    elif target is Stage.filed:
        case.filed_on = on
    if target is Stage.negotiating and case.stage is Stage.draft:
        # The congress turned the draft down: a new vote will be needed.
        case.congress_passed = False
    await uow.cases.add_event(
        StageEvent(
            case_id=case_id,
            from_stage=case.stage,
            to_stage=target,
            on=on,
            by_id=user.id or 0,
            at=now,
            note=note[:2000],
        )
    )
    case.stage, case.stage_on, case.updated_at = target, on, now
    await reminders.sync_case(uow, case_id, now, settings)
    return case


def parse_count(text: str, most: int = 100_000, of: str = "") -> int:
    """A congress count; `most` bounds it by an answer before it (those present by all the
    representatives, the votes for by those present), checked at the step itself."""
    value = parse_int(text, 0, 100_000)
    if value is None:
        raise Problem("cases.bad_count")
    if of and value > most:
        raise Problem(f"cases.more_than_{of}", most=most)
    return value


async def record_congress(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    total: int,
    present: int,
    yes: int,
    now: datetime,
    legal: LegalSettings,
) -> CongressResult:
    case = await editable(uow, user, case_id)
    if case.stage is not Stage.draft:
        raise Problem("cases.congress_only_in_draft")
    try:
        result = congress_vote(total, present, yes, legal)
    except ValueError:
        raise Problem("cases.bad_congress_counts") from None
    case.congress_total, case.congress_present, case.congress_yes = total, present, yes
    case.congress_passed = result.passed
    case.updated_at = now
    return result


# Where a contract in force is published to all staff (公示), or typed.
PUBLICATION_WAYS = ("notice_board", "intranet", "assembly")
PUBLISHED_STAGES = IN_FORCE_STAGES


def parse_publication_way(text: str) -> str:
    return text_value(text, 2, 100, "cases.bad_publication_way")


async def may_publish(uow: UnitOfWork, user: User, case_id: int) -> BargainingCase:
    """The case's own instructor records the publication of a contract in force."""
    case = await editable(uow, user, case_id)
    if case.stage not in PUBLISHED_STAGES:
        raise Problem("cases.publish_in_force")
    return case


def check_publication_day(on: date, today: date, signed_on: date | None) -> date:
    """A contract is published after it was signed, and not on a day still to come."""
    if on > today:
        raise Problem("cases.published_in_future")
    if signed_on and on < signed_on:
        raise Problem("cases.published_before_signed", signed=signed_on)
    return on


async def record_publication(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    on: date,
    how: str,
    now: datetime,
    settings: Settings,
) -> BargainingCase:
    """公示: when and how the contract was published; the publication deadline (and its
    reminders) end with it. Not before it was signed, not in the future."""
    case = await may_publish(uow, user, case_id)
    check_publication_day(on, today_in(settings.zone, now), case.signed_on)
    case.published_on, case.published_how = on, how
    case.updated_at = now
    await reminders.sync_case(uow, case_id, now, settings)
    return case


@dataclass(frozen=True)
class TimelineEntry:
    day: date  # the day it happened (local)
    at: datetime  # when it happened or was recorded, for ordering within a day
    kind: str  # stage, round, topic, report
    params: dict[str, object]


async def timeline(
    uow: UnitOfWork, user: User, case_id: int, zone: ZoneInfo, limit: int = 40
) -> list[TimelineEntry]:
    """Everything that happened on a case, newest first: stage changes, meetings, topic
    changes and major-problem reports."""
    await load(uow, user, case_id)

    def local(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    entries: list[TimelineEntry] = [
        TimelineEntry(e.on, e.at, "stage", {"stage": e.to_stage, "on": e.on, "note": e.note})
        for e in await uow.cases.events(case_id)
    ]
    entries += [
        TimelineEntry(local(m.held_at), m.held_at, "round", {"no": m.round_no, "place": m.place})
        for m in await uow.rounds.of_case(case_id)
    ]
    entries += [
        TimelineEntry(local(c.at), c.at, "topic", {"topic": t, "status": c.status})
        for c, t in await uow.topics.events_of_case(case_id)
    ]
    entries += [
        TimelineEntry(local(r.created_at), r.created_at, "report", {"category": r.category})
        for r in await uow.reports.of_case(case_id)
    ]
    entries.sort(key=lambda e: (e.day, e.at), reverse=True)
    return entries[:limit]


MULTI_ENTERPRISE = (CaseType.industry, CaseType.regional)


async def add_enterprise(
    uow: UnitOfWork, user: User, case_id: int, enterprise_id: int, now: datetime
) -> None:
    """Industry-level and regional cases cover several enterprises."""
    case = await editable(uow, user, case_id)
    if case.case_type not in MULTI_ENTERPRISE:
        raise Problem("cases.single_enterprise")
    enterprise = await enterprises.visible(uow, user, enterprise_id)
    if any(e.id == enterprise.id for e in await uow.cases.enterprises_of(case_id)):
        raise Problem("cases.enterprise_already", name=enterprise.name)
    await uow.cases.add_enterprise(case_id, enterprise_id)
    case.updated_at = now


@dataclass(frozen=True)
class Sharing:
    shared: list[User]
    candidates: list[User]


async def sharing(uow: UnitOfWork, owner: User, case_id: int) -> Sharing:
    """Who sees the case besides its owner, and which instructors of the owner's union (and
    below) it could be shared with."""
    await editable(uow, owner, case_id)
    root = await orgs.org_of(uow, owner)
    shared = list(await uow.cases.shares(case_id))
    taken = {u.id for u in shared} | {owner.id}
    candidates = [u for u in await uow.users.instructors_under(root.path) if u.id not in taken]
    return Sharing(shared, candidates)


async def set_share(
    uow: UnitOfWork, owner: User, case_id: int, instructor_id: int, shared: bool, now: datetime
) -> None:
    await editable(uow, owner, case_id)
    instructor = await uow.users.get(instructor_id)
    if instructor is None or instructor.role is not Role.instructor or instructor.id == owner.id:
        raise AccessDenied()
    root = await orgs.org_of(uow, owner)
    their_org = await orgs.org_of(uow, instructor)
    if shared and not orgs.within(root, their_org):
        raise AccessDenied()
    await uow.cases.set_share(case_id, instructor_id, shared, now)
