"""The clause tracker: a case's contract topics, each with our demand, the other side's
position and a status, every change kept with the round it happened in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.services import cases
from bot.services.errors import AccessDenied, Problem
from bot.services.text import text_value
from storage.models import CaseTopic, TopicEvent, TopicStatus, User
from storage.uow import UnitOfWork

# Art. 8 of the Collective Contract Provisions, in the statute's order.
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
TEXT_MAX = 500


def parse_title(text: str) -> str:
    return text_value(text, 2, TITLE_MAX, "topics.bad_title")


def parse_position(text: str) -> str:
    return text_value(text, 1, TEXT_MAX, "topics.bad_text", lines=True)


@dataclass(frozen=True)
class Tracker:
    case_id: int
    editable: bool
    topics: list[CaseTopic]
    enterprise_names: list[str]

    def missing_art8(self) -> list[str]:
        present = {t.key for t in self.topics}
        return [key for key in ART8 if key not in present]


async def tracker(uow: UnitOfWork, user: User, case_id: int) -> Tracker:
    _, editable = await cases.load(uow, user, case_id)
    names = [e.name for e in await uow.cases.enterprises_of(case_id)]
    return Tracker(case_id, editable, list(await uow.topics.of_case(case_id)), names)


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
            by_id=user.id or 0,
            at=now,
        )
    )


async def add(
    uow: UnitOfWork, user: User, case_id: int, key: str, now: datetime, title: str = ""
) -> CaseTopic:
    await cases.editable(uow, user, case_id)
    if key != "custom" and key not in ART8:
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
    topic = await _editable_topic(uow, user, topic_id)
    if topic.status is not status:
        topic.status = status
        await _record(uow, topic, user, now)
    return topic


async def set_text(
    uow: UnitOfWork, user: User, topic_id: int, side: str, text: str, now: datetime
) -> CaseTopic:
    topic = await _editable_topic(uow, user, topic_id)
    value = parse_position(text)
    if side == "ours":
        topic.our_demand = value
    elif side == "theirs":
        topic.their_position = value
    else:
        raise Problem("common.expired_button")
    await _record(uow, topic, user, now)
    return topic


@dataclass(frozen=True)
class TopicView:
    topic: CaseTopic
    editable: bool
    history: Sequence[TopicEvent]


async def view(uow: UnitOfWork, user: User, topic_id: int) -> TopicView:
    topic = await uow.topics.get(topic_id)
    if topic is None:
        raise AccessDenied()
    _, editable = await cases.load(uow, user, topic.case_id)
    return TopicView(topic, editable, await uow.topics.history(topic_id))
