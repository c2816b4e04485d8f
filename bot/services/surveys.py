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

import hmac
import random
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import cases, reminders
from bot.services.anonymity import SurveyKeys, scrub
from bot.services.errors import AccessDenied, Problem
from bot.services.numbers import button_int
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


async def _editable(uow: UnitOfWork, user: User, survey_id: int) -> Survey:
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
    survey = await _editable(uow, user, survey_id)
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
    survey = await _editable(uow, user, survey_id)
    if phase(survey, now) in ("draft", "closed"):
        raise Problem("surveys.not_open")
    survey.status, survey.closed_at = SurveyStatus.closed, now
    await erase(uow, survey, keys, settings)
    await uow.reminders.cancel_pending(f"survey:{survey.id}:", set())
    return await _card(uow, user, survey, now)


async def discard(uow: UnitOfWork, user: User, survey_id: int) -> int:
    """Delete a draft; returns its case id."""
    survey = await _editable(uow, user, survey_id)
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


# ----- use cases: answering -----
@dataclass(frozen=True)
class Invitation:
    survey: Survey
    enterprises: list[str]
    answered: bool


async def _open_survey(uow: UnitOfWork, survey: Survey | None, now: datetime) -> Survey:
    if survey is None:
        raise Problem("surveys.unknown")
    state = phase(survey, now)
    if state == "draft":
        raise Problem("surveys.unknown")
    if state == "scheduled":
        raise Problem("surveys.not_yet", at=survey.opens_at)
    if state == "closed":
        raise Problem("surveys.closed", at=survey.closed_at or survey.closes_at)
    return survey


async def invitation(
    uow: UnitOfWork, keys: SurveyKeys, token: str, telegram_id: int, now: datetime
) -> Invitation:
    """What a worker sees on opening the link."""
    survey = await uow.surveys.by_token(token) if TOKEN_RE.match(token) else None
    survey = await _open_survey(uow, survey, now)
    answered = await uow.surveys.has_voted(survey.id or 0, keys.voter(survey.id or 0, telegram_id))
    names = [e.name for e in await uow.cases.enterprises_of(survey.case_id)]
    return Invitation(survey, names, answered)


async def preview(uow: UnitOfWork, user: User, survey_id: int) -> Invitation:
    """The same, for the survey's author, in any phase; a preview never stores an answer."""
    survey = await _editable(uow, user, survey_id)
    names = [e.name for e in await uow.cases.enterprises_of(survey.case_id)]
    return Invitation(survey, names, False)


async def answering(
    uow: UnitOfWork, survey_id: int, token: str, now: datetime, preview: bool
) -> Survey:
    """The survey a worker is answering, if the page they are on still belongs to it and,
    unless this is a preview, it is still open."""
    survey = await uow.surveys.get(survey_id)
    if survey is None or not hmac.compare_digest(survey.token, token):
        raise Problem("surveys.stale")
    return survey if preview else await _open_survey(uow, survey, now)


# ----- the unfinished answer -----
@dataclass
class Draft:
    """A page being answered: which survey (by id and link token), a preview or not, and
    the answer so far. Kept sealed in `survey_draft`, never in the conversation state."""

    survey_id: int
    token: str
    preview: bool
    answer: Answer

    def dump(self) -> dict[str, Any]:
        return {
            "sid": self.survey_id,
            "token": self.token,
            "preview": self.preview,
            "a": self.answer.dump(),
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Draft | None:
        try:
            return cls(
                int(data["sid"]),
                str(data["token"]),
                bool(data.get("preview")),
                Answer.load(dict(data.get("a") or {})),
            )
        except (KeyError, TypeError, ValueError):
            return None


async def draft_of(uow: UnitOfWork, keys: SurveyKeys, telegram_id: int) -> Draft | None:
    row = await uow.surveys.draft(keys.draft(telegram_id))
    if row is None:
        return None
    data = keys.unseal(row.sealed)
    return Draft.load(data) if data is not None else None


async def keep_draft(
    uow: UnitOfWork, keys: SurveyKeys, telegram_id: int, draft: Draft, now: datetime, zone: ZoneInfo
) -> None:
    await uow.surveys.put_draft(
        keys.draft(telegram_id), draft.survey_id, keys.seal(draft.dump()), today_in(zone, now)
    )


async def drop_draft(uow: UnitOfWork, keys: SurveyKeys, telegram_id: int) -> bool:
    """Forget the worker's unfinished answer (leaving, /cancel); True if there was one."""
    return await uow.surveys.drop_draft(keys.draft(telegram_id))


async def begin(
    uow: UnitOfWork,
    keys: SurveyKeys,
    telegram_id: int,
    survey: Survey,
    preview: bool,
    now: datetime,
    zone: ZoneInfo,
) -> Draft:
    draft = Draft(survey.id or 0, survey.token, preview, Answer())
    await keep_draft(uow, keys, telegram_id, draft, now, zone)
    return draft


async def current(
    uow: UnitOfWork,
    keys: SurveyKeys,
    telegram_id: int,
    survey_id: int | None,
    now: datetime,
    draft: Draft | None = None,
) -> tuple[Survey, Draft]:
    """The page a worker is on, for a button of survey `survey_id` (None: typed text);
    `surveys.stale` when there is none or the button is from another page; the survey's
    closing ends the page. `draft`: the page already read in this update."""
    draft = draft or await draft_of(uow, keys, telegram_id)
    if draft is None or (survey_id is not None and draft.survey_id != survey_id):
        raise Problem("surveys.stale")
    try:
        survey = await answering(uow, draft.survey_id, draft.token, now, draft.preview)
    except Problem as problem:
        if problem.key in ("surveys.closed", "surveys.unknown", "surveys.stale"):
            await drop_draft(uow, keys, telegram_id)
        raise
    return survey, draft


def apply(survey: Survey, answer: Answer, question: str, value: str) -> Answer:
    """A button press on the worker's page (`question` and `value` from its callback); the
    answer as it stands after it."""
    if question == "re":
        return Answer()
    expected = next_question(survey, answer)
    if question == "ce":  # the confirm page's "edit comment": ask it again
        if expected is not None or "comment" not in answer.done:
            raise Problem("surveys.stale")
        answer.done.remove("comment")
        answer.comment = ""
        return answer
    if question == "ru" and expected == "rank" and answer.rank:
        answer.rank.pop()
        return answer
    asked = {"t": "topics", "td": "topics", "r": "rank", "rise": "rise", "st": "stratum"}.get(
        question, "comment" if question == "cm" else ""
    )
    if asked != expected:
        raise Problem("surveys.stale")
    item = button_int(value, 0, len(survey.topics) - 1)
    if question in ("t", "r") and item is None:
        raise Problem("surveys.stale")
    if question == "t":
        toggle_pick(survey, answer, item or 0)
    elif question == "td":
        finish_picks(answer)
    elif question == "r":
        add_rank(survey, answer, item or 0)
    elif question == "rise":
        set_value(survey, answer, "rise", None if value == "-" else _tenths(value))
    elif question == "st":
        set_value(survey, answer, "stratum", None if value == "-" else value)
    else:
        set_value(survey, answer, "comment", None)  # the comment's Skip button
    return answer


def _tenths(value: str) -> int:
    found = button_int(value, 0, 1000)
    if found is None:
        raise Problem("surveys.stale")
    return found


def apply_text(survey: Survey, answer: Answer, text: str) -> None:
    """Typed text on the worker's page: the rise or the comment, when that is asked."""
    expected = next_question(survey, answer)
    if expected == "rise":
        set_value(survey, answer, "rise", parse_rise(text, survey.rise_max))
    elif expected == "comment":
        set_value(survey, answer, "comment", parse_comment(text))
    else:
        raise Problem("surveys.use_buttons")


def rise_choices(rise_max: int) -> list[int]:
    """Quick answers for the expected rise, in tenths of a percent."""
    return [p * 10 for p in (0, 3, 5, 8, 10, 15, 20) if p <= rise_max]


async def submit(
    uow: UnitOfWork,
    keys: SurveyKeys,
    telegram_id: int,
    survey: Survey,
    draft: Draft,
    now: datetime,
    settings: Settings,
) -> None:
    """Record that this worker answered (a keyed hash, apart from the answer), put the answer
    sealed among the pending ones, count the day, forget the draft, and release a batch
    when k are pending. A second answer from the same worker is refused."""
    answer, sid = draft.answer, survey.id or 0
    if next_question(survey, answer) is not None:
        raise Problem("surveys.stale")
    tag = keys.voter(sid, telegram_id)
    if await uow.surveys.has_voted(sid, tag):
        await drop_draft(uow, keys, telegram_id)
        raise Problem("surveys.already_answered")
    await uow.surveys.add_voter(sid, tag)
    comment = scrub(answer.comment)[:COMMENT_MAX] if "comment" in survey.questions else ""
    sealed = {
        "rise": answer.rise if "rise" in survey.questions else None,
        "stratum": answer.stratum if "stratum" in survey.questions else None,
        "comment": comment,
        "picks": picks_of(answer),
    }
    await uow.surveys.add_pending(sid, keys.seal(sealed))
    await uow.surveys.count_day(sid, today_in(settings.zone, now))
    await drop_draft(uow, keys, telegram_id)
    await release(uow, survey, keys, settings)


# ----- results -----
@dataclass(frozen=True)
class TopicScore:
    item: int
    topic: dict[str, str]
    chosen: int
    score: int
    first: int


@dataclass(frozen=True)
class RiseStats:
    count: int
    median: float
    q1: float
    q3: float
    histogram: list[tuple[float, float, int]]  # from %, to %, answers


@dataclass(frozen=True)
class StratumCell:
    stratum: str | None  # None: not answered; "other": smaller groups merged
    count: int
    median: float | None


@dataclass(frozen=True)
class Results:
    survey: Survey
    enterprises: list[str]
    total: int  # answers submitted
    k: int
    enough: bool  # results are shown
    per_day: list[tuple[date, int]]
    topics: list[TopicScore]
    rise: RiseStats | None
    strata: list[StratumCell]
    comments: list[str]
    phase: str
    released: int = 0  # answers the results count
    after_close: bool = False  # results wait for the survey to close (a setting)
    comments_from: int = 0  # comments are shown from this many answers


async def _quantile(
    uow: UnitOfWork, survey_id: int, n: int, p: float, stratum: str | None
) -> float:
    """Linear interpolation between the two nearest ranks, read with index seeks."""
    position = p * (n - 1)
    low = int(position)
    below = await uow.surveys.rise_at(survey_id, low, stratum)
    if low + 1 >= n or position == low:
        return below / 10
    above = await uow.surveys.rise_at(survey_id, low + 1, stratum)
    return (below + (above - below) * (position - low)) / 10


def merge_buckets(
    buckets: list[tuple[float, float, int]], k: int
) -> list[tuple[float, float, int]]:
    """Neighbouring histogram bars merged until each holds at least k answers."""
    merged: list[tuple[float, float, int]] = []
    for low, high, n in buckets:
        if merged and merged[-1][2] < k:
            first, _, count = merged[-1]
            merged[-1] = (first, high, count + n)
        else:
            merged.append((low, high, n))
    if len(merged) > 1 and merged[-1][2] < k:
        low, high, n = merged.pop()
        first, _, count = merged[-1]
        merged[-1] = (first, high, count + n)
    return merged


async def _rise_stats(uow: UnitOfWork, survey_id: int, k: int) -> RiseStats | None:
    n = await uow.surveys.rise_count(survey_id)
    if n < k:
        return None
    q1, median, q3 = [await _quantile(uow, survey_id, n, p, None) for p in (0.25, 0.5, 0.75)]
    buckets = await uow.surveys.rise_histogram(survey_id, RISE_BUCKET)
    histogram = [
        (b * RISE_BUCKET / 10, (b + 1) * RISE_BUCKET / 10, buckets.get(b, 0))
        for b in range(min(buckets), max(buckets) + 1)
    ]
    return RiseStats(n, median, q1, q3, merge_buckets(histogram, k))


async def _strata(uow: UnitOfWork, survey_id: int, k: int) -> list[StratumCell]:
    """Groups of at least k; the smaller ones merged into one "other" line when that reaches
    k, else not shown at all (a "fewer than k" line would tell that someone is there)."""
    counts = await uow.surveys.strata(survey_id)
    cells, small = [], 0
    for stratum in (*STRATA, None):
        n = counts.get(stratum, 0)
        if n == 0:
            continue
        if n < k:
            small += n
            continue
        median = None
        if stratum is not None and (m := await uow.surveys.rise_count(survey_id, stratum)) >= k:
            median = await _quantile(uow, survey_id, m, 0.5, stratum)
        cells.append(StratumCell(stratum, n, median))
    if small >= k:
        cells.append(StratumCell("other", small, None))
    return cells


async def results(
    uow: UnitOfWork, user: User, survey_id: int, now: datetime, settings: Settings
) -> Results:
    """The survey's results for its case's instructor or a liaison above it."""
    survey = await uow.surveys.get(survey_id)
    if survey is None:
        raise AccessDenied()
    await cases.load(uow, user, survey.case_id)
    return await aggregate(uow, survey, now, settings)


async def aggregate(uow: UnitOfWork, survey: Survey, now: datetime, settings: Settings) -> Results:
    """Computed over the released answers only, which grow in steps of at least k."""
    sid, k = survey.id or 0, settings.survey_min_answers
    names = [e.name for e in await uow.cases.enterprises_of(survey.case_id)]
    total = await uow.surveys.total(sid)
    released = await uow.surveys.released(sid)
    per_day = await uow.surveys.per_day(sid)
    state = phase(survey, now)
    after_close = not settings.survey_results_live and state != "closed"
    base: dict[str, Any] = {
        "released": released,
        "after_close": after_close,
        "comments_from": settings.survey_min_comments,
    }
    if released < k or after_close:
        return Results(survey, names, total, k, False, per_day, [], None, [], [], state, **base)
    scores = await uow.surveys.topic_scores(sid)
    ranking = sorted(
        (
            TopicScore(item, topic, *scores.get(item, (0, 0, 0)))
            for item, topic in enumerate(survey.topics)
        ),
        key=lambda t: (-t.score, -t.chosen, t.item),
    )
    comments = []
    if "comment" in survey.questions and released >= settings.survey_min_comments:
        comments = await uow.surveys.comments(sid, COMMENTS_SHOWN)
    return Results(
        survey,
        names,
        total,
        k,
        True,
        per_day,
        ranking if ("topics" in survey.questions or "rank" in survey.questions) else [],
        await _rise_stats(uow, sid, k) if "rise" in survey.questions else None,
        await _strata(uow, sid, k) if "stratum" in survey.questions else [],
        comments,
        state,
        **base,
    )


@dataclass(frozen=True)
class ExportRow:
    topics: list[int]
    rank: list[int]
    rise: float | None
    stratum: str | None  # None also when the stratum's cell is under k
    comment: str


async def export_rows(
    uow: UnitOfWork, user: User, survey_id: int, now: datetime, settings: Settings
) -> tuple[Results, list[ExportRow]]:
    """The results and the released anonymous answers, once results are shown; a stratum
    whose group is under k and comments under SURVEY_MIN_COMMENTS answers are left blank."""
    found = await results(uow, user, survey_id, now, settings)
    if not found.enough:
        raise Problem("surveys.too_few", k=found.k, total=found.released)
    shown = {c.stratum for c in found.strata}
    comments = found.released >= settings.survey_min_comments
    rows = []
    async for response, picks in uow.surveys.stream_answers(survey_id):
        ranked = sorted((rank, item) for rank, item in picks if rank > 0)
        rows.append(
            ExportRow(
                topics=sorted(item for rank, item in picks if rank == 0),
                rank=[item for _, item in ranked],
                rise=None if response.rise is None else response.rise / 10,
                stratum=response.stratum if response.stratum in shown else None,
                comment=response.comment if comments else "",
            )
        )
    return found, rows
