"""Worker opinion surveys: authoring, the anonymous answer, closing, and the results.

Anonymity is a property of the data (see README, "Anonymity of survey answers"):
- an answer row holds no Telegram id, no time and a random id; who answered is a keyed hash
  in a table of its own (`survey_voter`), under a key that is not in the database
  (bot/services/anonymity.py), deleted when the survey closes;
- an unfinished answer is sealed under that key, found by another keyed hash, never kept in
  the conversation state under the Telegram id, and deleted on submit, leave, close and by
  housekeeping;
- a submitted answer waits sealed until at least k answers can be released together, in
  random order, so no two views of the results differ by one answer, and the storage order
  says nothing of who answered when;
- results show nothing below k answers, no cell or bucket below k, comments only from
  SURVEY_MIN_COMMENTS answers. An answer cannot be changed: that would need a link from
  the worker to their answer.
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import cases, reminders
from bot.services.anonymity import SurveyKeys, scrub
from bot.services.errors import AccessDenied, Problem
from bot.services.profiles import today_in
from bot.services.rounds import parse_when
from bot.services.text import text_value
from bot.services.topics import ART8, parse_title
from bot.settings import Settings
from storage.models import (
    Reminder,
    ReminderStatus,
    Survey,
    SurveyStatus,
    User,
)
from storage.repositories import ReleasedAnswer
from storage.uow import UnitOfWork

# ----- what a survey asks -----
QUESTIONS = ("topics", "rank", "rise", "stratum", "comment")
STRATA = ("frontline", "junior", "middle", "senior")
RANKED = 3
COMMENT_MAX = 500
TOKEN_PREFIX = "sv_"
TOKEN_RE = re.compile(r"^sv_[A-Za-z0-9_-]{8,61}$")
RISE_BUCKET = 20  # tenths of a percent: the histogram's bars are 2 points wide
COMMENTS_SHOWN = 20


def new_token() -> str:
    """An opaque link token, 35 characters of A-Za-z0-9_-; the prefix tells it from an invite."""
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


def topic_entry(key: str, title: str = "") -> dict[str, str]:
    return {"key": key, "title": title}


# ----- parsing what people type -----
def parse_rise(text: str, rise_max: int) -> int:
    """'5', '5.5', '5%', '５．５％' → tenths of a percent, within 0..rise_max."""
    value = unicodedata.normalize("NFKC", text).strip().rstrip("%").strip()
    if not re.fullmatch(r"\d{1,3}(\.\d)?", value):
        raise Problem("surveys.bad_rise", max=rise_max)
    tenths = round(float(value) * 10)
    if tenths > rise_max * 10:
        raise Problem("surveys.bad_rise", max=rise_max)
    return tenths


def parse_comment(text: str) -> str:
    return scrub(text_value(text, 1, COMMENT_MAX, "surveys.bad_comment", lines=True))


def parse_opens(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    moment = parse_when(text, now, zone)
    if moment < now - timedelta(minutes=5):
        raise Problem("surveys.opens_in_past")
    return moment


def parse_closes(
    text: str, now: datetime, zone: ZoneInfo, opens_at: datetime | None = None
) -> datetime:
    moment = parse_when(text, now, zone)
    if moment <= max(now, opens_at or now) + timedelta(hours=1):
        raise Problem("surveys.closes_too_soon")
    if moment > now + timedelta(days=90):
        raise Problem("surveys.closes_too_late")
    return moment


def closes_in(days: int, now: datetime, zone: ZoneInfo) -> datetime:
    """Quick choice: the evening (18:00) `days` days from today."""
    day = today_in(zone, now) + timedelta(days=days)
    return datetime.combine(day, datetime.min.time().replace(hour=18), tzinfo=zone).astimezone(
        now.tzinfo
    )


# ----- the survey's life -----
def phase(survey: Survey, now: datetime) -> str:
    """draft, scheduled, open or closed."""
    if survey.status is SurveyStatus.draft:
        return "draft"
    if survey.status is SurveyStatus.closed or now >= survey.closes_at:
        return "closed"
    if survey.opens_at is not None and now < survey.opens_at:
        return "scheduled"
    return "open"


def check_design(topics: Sequence[dict[str, str]], questions: Sequence[str], most: int) -> None:
    if not questions:
        raise Problem("surveys.no_questions")
    if any(q not in QUESTIONS for q in questions):
        raise AccessDenied()
    needs_topics = "topics" in questions or "rank" in questions
    if needs_topics and len(topics) < 2:
        raise Problem("surveys.few_topics", least=2)
    if "rank" in questions and "topics" not in questions and len(topics) < RANKED:
        raise Problem("surveys.few_topics", least=RANKED)
    if len(topics) > most:
        raise Problem("surveys.many_topics", most=most)


def default_topics(case_topics: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """A new survey starts from the case's own topics, or pay, hours and safety."""
    chosen = [topic_entry(key, title if key == "custom" else "") for key, title in case_topics]
    return chosen or [topic_entry(key) for key in ("pay", "hours", "safety")]


def toggle_topic(topics: list[dict[str, str]], key: str) -> list[dict[str, str]]:
    if key not in ART8:
        raise AccessDenied()
    if any(t["key"] == key for t in topics):
        return [t for t in topics if t["key"] != key]
    return [*topics, topic_entry(key)]


def add_custom_topic(topics: list[dict[str, str]], text: str, most: int) -> list[dict[str, str]]:
    title = parse_title(text)
    if any(t["key"] == "custom" and t["title"] == title for t in topics):
        raise Problem("surveys.topic_exists")
    if len(topics) >= most:
        raise Problem("surveys.many_topics", most=most)
    return [*topics, topic_entry("custom", title)]


# ----- a worker's answer -----
@dataclass
class Answer:
    """What a worker has answered so far; a question absent from `done` is still to come."""

    topics: list[int] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    rise: int | None = None
    stratum: str | None = None
    comment: str = ""
    done: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, data: dict[str, Any]) -> Answer:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def dump(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def rank_pool(survey: Survey, answer: Answer) -> list[int]:
    """Which topics the rank question offers: those chosen, or all when not asked."""
    if "topics" in survey.questions:
        return list(answer.topics)
    return list(range(len(survey.topics)))


def rank_needed(survey: Survey, answer: Answer) -> int:
    return min(RANKED, len(rank_pool(survey, answer)))


def next_question(survey: Survey, answer: Answer) -> str | None:
    for question in survey.questions:
        if question in answer.done:
            continue
        if question == "rank" and rank_needed(survey, answer) <= 1:
            continue  # nothing to rank: one topic or none chosen
        return question
    return None


def toggle_pick(survey: Survey, answer: Answer, item: int) -> None:
    if not 0 <= item < len(survey.topics):
        raise Problem("surveys.stale")
    answer.topics = (
        [i for i in answer.topics if i != item]
        if item in answer.topics
        else sorted([*answer.topics, item])
    )


def finish_picks(answer: Answer) -> None:
    if not answer.topics:
        raise Problem("surveys.pick_one")
    answer.done.append("topics")


def add_rank(survey: Survey, answer: Answer, item: int) -> None:
    if item not in rank_pool(survey, answer):
        raise Problem("surveys.stale")
    if item in answer.rank:
        raise Problem("surveys.rank_repeated")
    answer.rank.append(item)
    if len(answer.rank) >= rank_needed(survey, answer):
        answer.done.append("rank")


def set_value(survey: Survey, answer: Answer, question: str, value: Any) -> None:
    """Record the answer to rise, stratum or comment (None: skipped)."""
    if question == "rise":
        if value is not None and not 0 <= int(value) <= survey.rise_max * 10:
            raise Problem("surveys.bad_rise", max=survey.rise_max)
        answer.rise = None if value is None else int(value)
    elif question == "stratum":
        if value is not None and value not in STRATA:
            raise Problem("surveys.stale")
        answer.stratum = value
    elif question == "comment":
        answer.comment = value or ""
    else:
        raise Problem("surveys.stale")
    answer.done.append(question)


def picks_of(answer: Answer) -> list[tuple[int, int]]:
    return [(0, item) for item in answer.topics] + [
        (position, item) for position, item in enumerate(answer.rank, start=1)
    ]


# ----- use cases: authoring -----
@dataclass(frozen=True)
class SurveyCard:
    survey: Survey
    enterprises: list[str]
    answers: int
    editable: bool
    phase: str
    union: str  # the case's union, for the poster


async def _card(uow: UnitOfWork, user: User, survey: Survey, now: datetime) -> SurveyCard:
    case, editable = await cases.load(uow, user, survey.case_id)
    names = [e.name for e in await uow.cases.enterprises_of(survey.case_id)]
    total = await uow.surveys.total(survey.id or 0)
    union = await uow.orgs.get(case.org_id)
    return SurveyCard(
        survey, names, total, editable, phase(survey, now), union.name if union else ""
    )


async def card(uow: UnitOfWork, user: User, survey_id: int, now: datetime) -> SurveyCard:
    survey = await uow.surveys.get(survey_id)
    if survey is None:
        raise AccessDenied()
    return await _card(uow, user, survey, now)


async def editable_survey(uow: UnitOfWork, user: User, survey_id: int) -> Survey:
    survey = await uow.surveys.get(survey_id)
    if survey is None:
        raise AccessDenied()
    await cases.editable(uow, user, survey.case_id)
    return survey


@dataclass(frozen=True)
class CaseSurveys:
    case_id: int
    editable: bool
    enterprises: list[str]
    surveys: list[tuple[Survey, int, str]]  # survey, answers, phase


async def of_case(uow: UnitOfWork, user: User, case_id: int, now: datetime) -> CaseSurveys:
    _, editable = await cases.load(uow, user, case_id)
    found = list(await uow.surveys.of_case(case_id))
    counts = await uow.surveys.counts([s.id or 0 for s in found])
    names = [e.name for e in await uow.cases.enterprises_of(case_id)]
    rows = [(s, counts.get(s.id or 0, 0), phase(s, now)) for s in found]
    return CaseSurveys(case_id, editable, names, rows)


async def design_start(uow: UnitOfWork, user: User, case_id: int) -> list[dict[str, str]]:
    """The topics a new survey on this case starts with (the case must be the user's)."""
    await cases.editable(uow, user, case_id)
    return default_topics([(t.key, t.title) for t in await uow.topics.of_case(case_id)])


async def create(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    topics: list[dict[str, str]],
    questions: list[str],
    opens_at: datetime | None,
    closes_at: datetime,
    now: datetime,
    settings: Settings,
) -> Survey:
    await cases.editable(uow, user, case_id)
    ordered = [q for q in QUESTIONS if q in questions]
    check_design(topics, ordered, settings.survey_max_topics)
    if closes_at <= max(now, opens_at or now):
        raise Problem("surveys.closes_too_soon")
    return await uow.surveys.add(
        Survey(
            case_id=case_id,
            author_id=user.id or 0,
            token=new_token(),
            topics=topics,
            questions=ordered,
            rise_max=settings.survey_rise_max_percent,
            status=SurveyStatus.draft,
            opens_at=opens_at,
            closes_at=closes_at,
            created_at=now,
        )
    )


async def publish(
    uow: UnitOfWork, user: User, survey_id: int, now: datetime, settings: Settings
) -> SurveyCard:
    survey = await editable_survey(uow, user, survey_id)
    if survey.status is not SurveyStatus.draft:
        raise Problem("surveys.already_published")
    if survey.closes_at <= now + timedelta(hours=1):
        raise Problem("surveys.closes_too_soon")
    survey.status, survey.published_at = SurveyStatus.published, now
    await _plan_reminders(uow, survey, now, settings)
    return await _card(uow, user, survey, now)


async def close(
    uow: UnitOfWork,
    user: User,
    survey_id: int,
    now: datetime,
    settings: Settings,
    keys: SurveyKeys,
) -> SurveyCard:
    """Close early: answers stop; who answered and unfinished answers are forgotten."""
    survey = await editable_survey(uow, user, survey_id)
    if phase(survey, now) in ("draft", "closed"):
        raise Problem("surveys.not_open")
    survey.status, survey.closed_at = SurveyStatus.closed, now
    await erase(uow, survey, keys, settings)
    await uow.reminders.cancel_pending(f"survey:{survey.id}:", set())
    return await _card(uow, user, survey, now)


async def discard(uow: UnitOfWork, user: User, survey_id: int) -> int:
    """Delete a draft; returns its case id."""
    survey = await editable_survey(uow, user, survey_id)
    if survey.status is not SurveyStatus.draft:
        raise Problem("surveys.already_published")
    await uow.surveys.delete(survey)
    return survey.case_id


async def _plan_reminders(
    uow: UnitOfWork, survey: Survey, now: datetime, settings: Settings
) -> None:
    names = "、".join(e.name for e in await uow.cases.enterprises_of(survey.case_id))
    plan = (
        ("closing", survey.closes_at - timedelta(days=1), "reminders.survey_closing"),
        ("closed", survey.closes_at, "reminders.survey_closed"),
    )
    for label, due, key in plan:
        if due <= now:
            continue
        due = reminders.after_quiet_hours(
            due, settings.zone, settings.quiet_hours_start, settings.quiet_hours_end
        )
        params = {"enterprise": names, "at": survey.closes_at.isoformat()}
        await uow.reminders.upsert(
            Reminder(
                recipient_id=survey.author_id,
                kind="survey",
                idem_key=f"survey:{survey.id}:{label}:{survey.closes_at.isoformat()}",
                due_at=due,
                next_attempt_at=due,
                payload={"key": key, "params": params, "survey_id": survey.id},
                status=ReminderStatus.pending,
                created_at=now,
            )
        )


async def erase(uow: UnitOfWork, survey: Survey, keys: SurveyKeys, settings: Settings) -> None:
    """At close: release what may be released, forget who answered and every unfinished
    answer, and have the database files scrubbed of the old pages after the commit."""
    survey.erased = True
    if survey.status is SurveyStatus.published:
        survey.status = SurveyStatus.closed
    await release(uow, survey, keys, settings, closing=True)
    await uow.surveys.forget(survey.id or 0)
    uow.scrub_after_commit()


async def erase_closed(uow: UnitOfWork, now: datetime, keys: SurveyKeys, settings: Settings) -> int:
    """Housekeeping: close what has passed its closing time, and drop unfinished answers
    idle for SURVEY_DRAFT_DAYS."""
    due = await uow.surveys.due_for_erasure(now)
    for survey in due:
        await erase(uow, survey, keys, settings)
    before = today_in(settings.zone, now) - timedelta(days=settings.survey_draft_days)
    if await uow.surveys.prune_drafts(before):
        uow.scrub_after_commit()
    return len(due)


async def release(
    uow: UnitOfWork, survey: Survey, keys: SurveyKeys, settings: Settings, closing: bool = False
) -> int:
    """Move pending answers into the results once at least k can go together, shuffled.
    At close the rest goes too, unless results were shown while open and fewer than k
    remain: those would be told apart from the last view, so they stay out (and are
    counted as held back)."""
    k, sid = settings.survey_min_answers, survey.id or 0
    pending = list(await uow.surveys.pending(sid))
    if not pending:
        return 0
    if len(pending) < k:
        if not closing:
            return 0
        if settings.survey_results_live and await uow.surveys.released(sid) > 0:
            return 0
    answers = []
    for row in pending:
        data = keys.unseal(row.sealed)
        if data is None:  # sealed under a key since replaced: cannot be read by anyone
            continue
        answers.append(
            ReleasedAnswer(
                data.get("rise"),
                data.get("stratum"),
                str(data.get("comment", "")),
                [(int(rank), int(item)) for rank, item in data.get("picks", [])],
            )
        )
    random.SystemRandom().shuffle(answers)
    await uow.surveys.release(sid, pending, answers)
    return len(answers)
