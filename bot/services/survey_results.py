"""A survey's results and export: every aggregate one SQL query over released answers, nothing
shown below k answers (see bot/services/surveys.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.services import cases, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.surveys import COMMENTS_SHOWN, RISE_BUCKET, STRATA, phase
from bot.settings import Settings
from storage.models import (
    Role,
    Survey,
    User,
)
from storage.uow import UnitOfWork


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


@dataclass(frozen=True)
class SurveyListing:
    surveys: list[Survey]
    enterprises: dict[int, list[str]]  # by case
    answers: dict[int, int]  # by survey
    page: int
    pages: int
    total: int


async def listing(uow: UnitOfWork, user: User, page: int, per_page: int) -> SurveyListing:
    """The surveys a person may read results of (a liaison's subtree, an instructor's own
    cases), newest first, a page at a time: a query for the page, one for its count, one for
    the enterprises, one for the answer counts."""
    path = None if user.role is Role.instructor else (await orgs.org_of(uow, user)).path
    condition = uow.cases.visible(user.id, path)
    page = max(page, 1)
    found, total = await uow.surveys.page_where(condition, (page - 1) * per_page, per_page)
    firms = await uow.cases.enterprises_of_many([s.case_id for s in found])
    counts = await uow.surveys.counts([s.id or 0 for s in found])
    return SurveyListing(
        list(found),
        {cid: [e.name for e in names] for cid, names in firms.items()},
        counts,
        page,
        max(1, -(-total // per_page)),
        total,
    )


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


async def latest_for_case(
    uow: UnitOfWork, case_id: int, now: datetime, settings: Settings
) -> Results | None:
    """The results of the case's most recent survey that shows any (not a draft, enough
    released answers), for the plan and the wage advice; None when there is none."""
    for survey in await uow.surveys.of_case(case_id):
        if survey.status.value != "draft":
            found = await aggregate(uow, survey, now, settings)
            if found.enough:
                return found
    return None


def expected_rise(found: Results | None) -> Decimal | None:
    """The workers' median expected rise, when a survey asked it and shows its results."""
    if found is None or found.rise is None:
        return None
    return Decimal(str(found.rise.median))
