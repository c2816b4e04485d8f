"""Answering a survey: the invitation, the unfinished answer sealed under the survey key, and
the submitted answer (see bot/services/surveys.py for what anonymity means here)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.anonymity import SurveyKeys, scrub
from bot.services.errors import Problem
from bot.services.numbers import button_int
from bot.services.profiles import today_in
from bot.services.surveys import (
    COMMENT_MAX,
    TOKEN_RE,
    Answer,
    add_rank,
    editable_survey,
    finish_picks,
    next_question,
    parse_comment,
    parse_rise,
    phase,
    picks_of,
    release,
    set_value,
    toggle_pick,
)
from bot.settings import Settings
from storage.models import (
    Survey,
    User,
)
from storage.uow import UnitOfWork


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
    survey = await editable_survey(uow, user, survey_id)
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


class Press(StrEnum):
    """The buttons of a worker's survey page, as their callback data carries them (short:
    a press fits Telegram's 64 bytes with its survey id and value)."""

    topic = "t"  # tick or untick a topic
    topics_done = "td"
    rank = "r"  # the next most important topic
    rank_undo = "ru"
    rise = "rise"  # a rise in tenths of a percent, or "-" (prefer not to say)
    stratum = "st"  # a post level, or "-"
    comment_skip = "cm"
    comment_edit = "ce"  # the confirm page's "edit comment"
    submit = "ok"
    restart = "re"
    leave = "x"
    keep = "keep"  # keep the survey being answered, not the one just opened


def apply(survey: Survey, answer: Answer, press: Press, value: str) -> Answer:
    """A button press on the worker's page (`press` and `value` from its callback); the
    answer as it stands after it."""
    if press is Press.restart:
        return Answer()
    expected = next_question(survey, answer)
    if press is Press.comment_edit:  # ask the comment again
        if expected is not None or "comment" not in answer.done:
            raise Problem("surveys.stale")
        answer.done.remove("comment")
        answer.comment = ""
        return answer
    if press is Press.rank_undo and expected == "rank" and answer.rank:
        answer.rank.pop()
        return answer
    if ASKS.get(press) != expected:
        raise Problem("surveys.stale")
    item = button_int(value, 0, len(survey.topics) - 1)
    if press in (Press.topic, Press.rank) and item is None:
        raise Problem("surveys.stale")
    if press is Press.topic:
        toggle_pick(survey, answer, item or 0)
    elif press is Press.topics_done:
        finish_picks(answer)
    elif press is Press.rank:
        add_rank(survey, answer, item or 0)
    elif press is Press.rise:
        set_value(survey, answer, "rise", None if value == "-" else _tenths(value))
    elif press is Press.stratum:
        set_value(survey, answer, "stratum", None if value == "-" else value)
    else:
        set_value(survey, answer, "comment", None)  # the comment's Skip button
    return answer


# Which question each answering press belongs to (a press for another is stale).
ASKS = {
    Press.topic: "topics",
    Press.topics_done: "topics",
    Press.rank: "rank",
    Press.rise: "rise",
    Press.stratum: "stratum",
    Press.comment_skip: "comment",
}


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


def whole(survey: Survey, given: dict[str, Any]) -> Answer:
    """A whole answer sent at once (the Mini App's page), put through the same rules as the
    chat's one question at a time; anything missing, out of range or of the wrong kind is
    refused. `given`: topics and rank (topic indexes), rise (tenths of a percent, or null
    for "prefer not to say"), stratum (or null), comment (optional)."""
    answer = Answer()

    def items(name: str) -> list[int]:
        raw = given.get(name) or []
        if not isinstance(raw, list) or len(raw) > len(survey.topics):
            raise Problem("surveys.stale")
        found = [button_int(str(v), 0, len(survey.topics) - 1) for v in raw]
        if any(v is None for v in found):
            raise Problem("surveys.stale")
        return [v for v in found if v is not None]

    for question in survey.questions:
        if question == "topics":
            for item in dict.fromkeys(items("topics")):
                toggle_pick(survey, answer, item)
            finish_picks(answer)
        elif question == "rank":
            if next_question(survey, answer) != "rank":
                continue  # nothing to rank
            for item in items("rank"):
                if "rank" not in answer.done:
                    add_rank(survey, answer, item)
        elif question in ("rise", "stratum") and question not in given:
            raise Problem("surveys.incomplete")  # null is "prefer not to say"; absent is unanswered
        elif question == "rise":
            rise = given.get("rise")
            set_value(survey, answer, "rise", None if rise is None else _tenths(str(rise)))
        elif question == "stratum":
            stratum = given.get("stratum")
            set_value(survey, answer, "stratum", None if stratum is None else str(stratum))
        elif question == "comment":
            text = str(given.get("comment") or "").strip()
            set_value(survey, answer, "comment", parse_comment(text) if text else None)
    if next_question(survey, answer) is not None:
        raise Problem("surveys.incomplete")
    return answer


async def record(
    uow: UnitOfWork,
    keys: SurveyKeys,
    telegram_id: int,
    survey: Survey,
    answer: Answer,
    now: datetime,
    settings: Settings,
) -> None:
    """Record that this worker answered (a keyed hash, apart from the answer), put the answer
    sealed among the pending ones, count the day, forget any unfinished page, and release a
    batch when k are pending. A second answer from the same worker is refused."""
    sid = survey.id or 0
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


async def submit(
    uow: UnitOfWork,
    keys: SurveyKeys,
    telegram_id: int,
    survey: Survey,
    draft: Draft,
    now: datetime,
    settings: Settings,
) -> None:
    """The chat page's confirm: its draft's answer, recorded."""
    await record(uow, keys, telegram_id, survey, draft.answer, now, settings)


async def by_link(uow: UnitOfWork, token: str, now: datetime) -> Survey:
    """The open survey a link names (the Mini App's page opens with it)."""
    survey = await uow.surveys.by_token(token) if TOKEN_RE.match(token) else None
    return await _open_survey(uow, survey, now)
