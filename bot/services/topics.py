"""The clause tracker: a case's contract topics, each holding clause text — started from a
model clause of the library (or typed), each side's proposal and counter kept as a version by
round, and "agreed" freezing the agreed text with who agreed and in which round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.services import cases, contracts, research
from bot.services.clauses import Library
from bot.services.errors import AccessDenied, Problem
from bot.services.money import plain
from bot.services.text import short_diff, text_value
from bot.settings import Settings
from storage.models import (
    BargainingCase,
    CaseTopic,
    TopicEvent,
    TopicPackage,
    TopicStatus,
    User,
)
from storage.uow import UnitOfWork

# Art. 8 of the Collective Contract Provisions, in the statute's order (the comprehensive
# contract's topics; a special case negotiates its own contract's sections).
ART8 = (
    "pay",
    "hours",
    "rest",
    "safety",
    "insurance",
    "women_minors",
    "training",
    "contracts",
    "rewards",
    "layoffs",
    "term",
    "procedure",
    "disputes",
    "liability",
    "other",
)
TITLE_MAX = 50
TEXT_MAX = 2000


def parse_title(text: str) -> str:
    return text_value(text, 2, TITLE_MAX, "topics.bad_title")


def parse_position(text: str) -> str:
    return text_value(text, 1, TEXT_MAX, "topics.bad_text", lines=True)


class Side(StrEnum):
    ours = "ours"
    theirs = "theirs"


class Source(StrEnum):
    """Which text the parties agreed on."""

    ours = "ours"
    theirs = "theirs"
    typed = "typed"


@dataclass(frozen=True)
class Tracker:
    case_id: int
    editable: bool
    topics: list[CaseTopic]
    enterprise_names: list[str]
    kind: str  # the contract the case negotiates

    def addable(self, library: Library) -> list[str]:
        """The sections of the case's contract not yet on the case, in the contract's order."""
        present = {t.key for t in self.topics}
        return [key for key in library.negotiable(self.kind) if key not in present]


async def tracker(uow: UnitOfWork, user: User, case_id: int) -> Tracker:
    case, editable = await cases.load(uow, user, case_id)
    names = [e.name for e in await uow.cases.enterprises_of(case_id)]
    kind = contracts.kind_of_case(case.case_type)
    return Tracker(case_id, editable, list(await uow.topics.of_case(case_id)), names, kind)


async def _editable_topic(uow: UnitOfWork, user: User, topic_id: int) -> CaseTopic:
    topic = await uow.topics.get(topic_id)
    if topic is None:
        raise AccessDenied()
    await cases.editable(uow, user, topic.case_id)
    return topic


async def _record(uow: UnitOfWork, topic: CaseTopic, user: User, now: datetime) -> None:
    topic.updated_at = now
    await uow.topics.record(
        TopicEvent(
            topic_id=topic.id or 0,
            round_no=await uow.rounds.last_number(topic.case_id) or None,
            status=topic.status,
            our_demand=topic.our_demand,
            their_position=topic.their_position,
            agreed_text=topic.agreed_text,
            signed_by=topic.ta_chiefs,
            by_id=user.id or 0,
            at=now,
        )
    )


async def add(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    key: str,
    now: datetime,
    library: Library,
    title: str = "",
) -> CaseTopic:
    case = await cases.editable(uow, user, case_id)
    if key != "custom" and key not in library.negotiable(contracts.kind_of_case(case.case_type)):
        raise Problem("common.expired_button")
    existing = await uow.topics.of_case(case_id)
    if key != "custom" and any(t.key == key for t in existing):
        raise Problem("topics.duplicate")
    if key == "custom":
        title = parse_title(title)
        if any(t.key == "custom" and t.title == title for t in existing):
            raise Problem("topics.duplicate")
    topic = await uow.topics.add(
        CaseTopic(
            case_id=case_id, key=key, title=title, status=TopicStatus.proposed, updated_at=now
        )
    )
    await _record(uow, topic, user, now)
    return topic


async def set_status(
    uow: UnitOfWork, user: User, topic_id: int, status: TopicStatus, now: datetime
) -> CaseTopic:
    """Any status but "agreed" (which needs the agreed text: `agree`). Leaving "agreed"
    reopens the topic: the frozen text stays in the history, not on the topic."""
    if status in (TopicStatus.agreed, TopicStatus.tentative):  # `agree`, `sign_off`
        raise Problem("common.expired_button")
    topic = await _editable_topic(uow, user, topic_id)
    if topic.status is not status:
        _lift(topic)
        topic.status = status
        await _record(uow, topic, user, now)
    return topic


def _lift(topic: CaseTopic) -> None:
    """Leaving an agreement: the frozen text and the sign-off stay in the history only."""
    topic.agreed_text, topic.agreed_round = "", None
    topic.agreed_by_id, topic.agreed_at = None, None
    topic.ta_chiefs, topic.ta_at = "", None


async def chiefs(uow: UnitOfWork, case_id: int) -> tuple[str, str] | None:
    """The two chiefs' names (workers', employer's), when both are registered."""
    found = {r.side.value: r.name for r in await uow.representatives.of_case(case_id) if r.chief}
    if "workers" in found and "employer" in found:
        return found["workers"], found["employer"]
    return None


async def sign_off(uow: UnitOfWork, user: User, topic_id: int, now: datetime) -> CaseTopic:
    """初步一致: only on both chiefs' sign-off, recorded with their names and the time."""
    topic = await _editable_topic(uow, user, topic_id)
    names = await chiefs(uow, topic.case_id)
    if names is None:
        raise Problem("topics.needs_chiefs")
    if topic.status is not TopicStatus.tentative:
        _lift(topic)
        topic.status = TopicStatus.tentative
        topic.ta_chiefs, topic.ta_at = "、".join(names), now
        await _record(uow, topic, user, now)
    return topic


async def set_text(
    uow: UnitOfWork, user: User, topic_id: int, side: Side, text: str, now: datetime
) -> CaseTopic:
    """A new version of one side's clause text (one article a line)."""
    topic = await _editable_topic(uow, user, topic_id)
    if topic.status is TopicStatus.agreed:
        raise Problem("topics.frozen")
    value = parse_position(text)
    if side is Side.ours:
        topic.our_demand = value
    else:
        topic.their_position = value
        if topic.status is TopicStatus.proposed:
            topic.status = TopicStatus.countered
    await _record(uow, topic, user, now)
    return topic


async def model_values(uow: UnitOfWork, case: BargainingCase, settings: Settings) -> dict[str, Any]:
    """What the records give a model clause: the enterprise, the local minimum wage, and the
    answers of the latest draft of the case's contract (rise, pay day, …) when there is one."""
    enterprises = await uow.cases.enterprises_of(case.id or 0)
    org = await uow.orgs.get(case.org_id)
    found = await research.guideline_for(uow, org, case.year) if org else None
    kind = contracts.kind_of_case(case.case_type)
    drafts = [d for d in await uow.documents.of_case(case.id or 0) if d.kind == kind]
    answers = dict(max(drafts, key=lambda d: d.version).data) if drafts else {}
    finance = await uow.research.finance(enterprises[0].id or 0, case.year - 1)
    if finance is not None and not answers.get("last_year_avg"):
        answers["last_year_avg"] = plain(finance.average_wage)
    return contracts.values(
        kind=kind,
        year=case.year,
        enterprise=enterprises[0],
        union_party=str(answers.get("union_name") or ""),
        answers=answers,
        legal=settings.legal,
        local_min_wage=found[1].minimum_wage if found else None,
        effective_on=None,
    )


@dataclass(frozen=True)
class Model:
    key: str
    label: str
    text: str


async def models(
    uow: UnitOfWork, user: User, topic_id: int, library: Library, settings: Settings
) -> tuple[CaseTopic, list[Model]]:
    """The library's variants for a topic, with the case's values filled in."""
    topic = await _editable_topic(uow, user, topic_id)
    case = await cases.editable(uow, user, topic.case_id)
    kind = contracts.kind_of_case(case.case_type)
    section = library.section(kind, topic.key)
    if section is None:
        return topic, []
    known = await model_values(uow, case, settings)
    return topic, [
        Model(v.key, v.label, library.model_text(kind, topic.key, known, v.key))
        for v in section.variants
    ]


async def start_from_model(
    uow: UnitOfWork,
    user: User,
    topic_id: int,
    variant: str,
    library: Library,
    settings: Settings,
    now: datetime,
) -> CaseTopic:
    """Our proposal becomes the chosen model clause, values filled in (【待填】 where the
    records do not know them yet)."""
    topic, found = await models(uow, user, topic_id, library, settings)
    chosen = next((m for m in found if m.key == variant), None)
    if chosen is None:
        raise Problem("common.expired_button")
    if topic.status is TopicStatus.agreed:
        raise Problem("topics.frozen")
    topic.our_demand, topic.variant = chosen.text[:TEXT_MAX], chosen.key
    await _record(uow, topic, user, now)
    return topic


async def agree(
    uow: UnitOfWork,
    user: User,
    topic_id: int,
    source: Source,
    now: datetime,
    typed: str = "",
) -> CaseTopic:
    """Both sides agree: the chosen text is frozen with who agreed and in which round."""
    topic = await _editable_topic(uow, user, topic_id)
    if source is Source.typed:
        text = parse_position(typed)
    else:
        text = topic.our_demand if source is Source.ours else topic.their_position
        if not text:
            raise Problem("topics.nothing_to_agree")
    topic.status = TopicStatus.agreed
    topic.agreed_text = text
    topic.agreed_round = await uow.rounds.last_number(topic.case_id) or None
    topic.agreed_by_id, topic.agreed_at = user.id, now
    await _record(uow, topic, user, now)
    return topic


@dataclass(frozen=True)
class Change:
    """One step of a topic's history: what changed, as a short diff per text."""

    at: datetime
    round_no: int | None
    status: TopicStatus
    status_changed: bool
    texts: list[tuple[str, list[tuple[str, str]]]]  # (ours|theirs|agreed, diff parts)


def changes(history: Sequence[TopicEvent]) -> list[Change]:
    """Each version against the one before it: only the texts that changed, as diffs."""
    out = []
    before: TopicEvent | None = None
    for event in history:
        texts = []
        for name, old, new in (
            ("ours", before.our_demand if before else "", event.our_demand),
            ("theirs", before.their_position if before else "", event.their_position),
            ("agreed", before.agreed_text if before else "", event.agreed_text),
        ):
            if old != new and new:
                texts.append((name, short_diff(old, new)))
        changed = before is None or before.status is not event.status
        out.append(Change(event.at, event.round_no, event.status, changed, texts))
        before = event
    return out


@dataclass(frozen=True)
class TopicView:
    topic: CaseTopic
    editable: bool
    history: Sequence[TopicEvent]


async def for_change(uow: UnitOfWork, user: User, topic_id: int) -> TopicView:
    """The topic, for the case's instructor about to change it (asked before a question)."""
    shown = await view(uow, user, topic_id)
    if not shown.editable:
        raise AccessDenied()
    return shown


async def view(uow: UnitOfWork, user: User, topic_id: int) -> TopicView:
    topic = await uow.topics.get(topic_id)
    if topic is None:
        raise AccessDenied()
    _, editable = await cases.load(uow, user, topic.case_id)
    return TopicView(topic, editable, await uow.topics.history(topic_id))


# ----- packages: several topics passed as one -----
NOTE_MAX = 500
PACKAGE_MIN = 2


def parse_note(text: str) -> str:
    return text_value(text, 2, NOTE_MAX, "topics.bad_package_note", lines=True)


def packable(tracker_topics: Sequence[CaseTopic]) -> list[CaseTopic]:
    """The topics that may go into a package: those still on the table."""
    return [t for t in tracker_topics if t.status not in (TopicStatus.agreed, TopicStatus.dropped)]


async def add_package(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    side: Side,
    topic_ids: Sequence[int],
    note: str,
    now: datetime,
) -> TopicPackage:
    """Record that one side put these topics across the table together: each stands only
    with the others. At least two of the case's topics still on the table."""
    await cases.editable(uow, user, case_id)
    open_ids = {t.id for t in packable(await uow.topics.of_case(case_id))}
    chosen = list(dict.fromkeys(topic_ids))
    if any(i not in open_ids for i in chosen):
        raise Problem("common.expired_button")
    if len(chosen) < PACKAGE_MIN:
        raise Problem("topics.package_too_small", least=PACKAGE_MIN)
    return await uow.topics.add_package(
        TopicPackage(
            case_id=case_id,
            round_no=await uow.rounds.last_number(case_id) or None,
            side=Side(side).value,
            topic_ids=chosen,
            note=parse_note(note) if note else "",
            by_id=user.id or 0,
            at=now,
        )
    )


# ----- the ledger: every pass across the table, by round -----
@dataclass(frozen=True)
class Pass:
    round_no: int | None
    at: datetime
    topics: tuple[CaseTopic, ...]  # one, or a package's
    side: str  # ours, theirs, agreed, tentative (a sign-off), package_ours, package_theirs
    text: str
    status: TopicStatus | None  # None for a package
    by: str


async def ledger(uow: UnitOfWork, user: User, case_id: int) -> list[Pass]:
    """Each side's text as it was put across the table, each package, sign-off and
    agreement, in order: a query each for the events, the packages, their topics, authors."""
    await cases.load(uow, user, case_id)
    events = sorted(await uow.topics.events_of_case(case_id), key=lambda et: et[0].id or 0)
    packages = await uow.topics.packages(case_id)
    authors = {e.by_id for e, _ in events} | {p.by_id for p in packages}
    names = {u.id: u.display_name for u in await uow.users.many(authors)}
    before: dict[int, TopicEvent] = {}
    rows: list[Pass] = []
    for event, topic in events:
        last = before.get(topic.id or 0)
        by = names.get(event.by_id, "")
        for side, old, new in (
            ("ours", last.our_demand if last else "", event.our_demand),
            ("theirs", last.their_position if last else "", event.their_position),
            ("agreed", last.agreed_text if last else "", event.agreed_text),
        ):
            if new and new != old:
                rows.append(Pass(event.round_no, event.at, (topic,), side, new, event.status, by))
        moved = last is None or last.status is not event.status
        if moved and event.status is TopicStatus.tentative and event.signed_by:
            rows.append(
                Pass(
                    event.round_no,
                    event.at,
                    (topic,),
                    "tentative",
                    event.signed_by,
                    event.status,
                    by,
                )
            )
        before[topic.id or 0] = event
    by_id = {t.id: t for t in await uow.topics.of_case(case_id)} if packages else {}
    for package in packages:
        members = tuple(by_id[i] for i in package.topic_ids if i in by_id)
        rows.append(
            Pass(
                package.round_no,
                package.at,
                members,
                f"package_{package.side}",
                package.note,
                None,
                names.get(package.by_id, ""),
            )
        )
    return sorted(rows, key=lambda p: p.at)
