"""The annual assessment: indicators counted from the records, each scored against the best
in the cohort, weighted (settings), combined with the self-report and democratic evaluation
scores the liaison enters, and ranked."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.services import access, orgs
from bot.services.errors import AccessDenied, Problem
from bot.settings import Settings
from storage.models import AssessmentScore, Role, User
from storage.repositories import COUNTED, Person
from storage.uow import UnitOfWork

INDICATORS = (
    *COUNTED,  # counted from the records, per person, in SQL
    "response",  # mean hours to answer an assignment: lower is better
)


@dataclass
class Result:
    user: Person
    values: dict[str, float]
    response_hours: float | None
    self_score: float | None
    democratic: float | None
    scores: dict[str, float] = field(default_factory=dict)  # 0–100 per indicator
    records: float = 0.0
    evaluation: float | None = None
    total: float = 0.0
    rank: int = 0


def parse_scores(text: str) -> tuple[float, float]:
    """'85 90', '85，90', '85/90' → (self-report, democratic evaluation), each 0–100."""
    parts = re.split(r"[\s,，/、;；]+", unicodedata.normalize("NFKC", text).strip())
    try:
        values = [float(p) for p in parts if p]
    except ValueError:
        raise Problem("assessment.bad_scores") from None
    if len(values) != 2 or not all(0 <= v <= 100 for v in values):
        raise Problem("assessment.bad_scores")
    return values[0], values[1]


def rank(results: list[Result], settings: Settings) -> list[Result]:
    """Score every indicator against the cohort's best, weight, combine, rank (pure)."""
    weights = {k: settings.assessment_weights.get(k, 0.0) for k in INDICATORS}
    best = {k: max((r.values.get(k, 0.0) for r in results), default=0.0) for k in COUNTED}
    fastest = min((r.response_hours for r in results if r.response_hours), default=None)
    total_weight = sum(weights.values()) or 1.0
    share, records_share = settings.assessment_self_share, settings.assessment_records_share
    for result in results:
        values, scores = result.values, result.scores
        for key in COUNTED:
            top = best[key]
            scores[key] = 100 * values.get(key, 0.0) / top if top else 0.0
        hours = result.response_hours
        scores["response"] = 100 * fastest / hours if fastest and hours else 0.0
        result.records = sum(weights[k] * scores[k] for k in INDICATORS) / total_weight
        if result.self_score is not None and result.democratic is not None:
            result.evaluation = share * result.self_score + (1 - share) * result.democratic
        result.total = records_share * result.records + (1 - records_share) * (
            result.evaluation or 0
        )
    ordered = sorted(results, key=lambda r: (-r.total, r.user.display_name))
    for place, result in enumerate(ordered, start=1):
        result.rank = place
    return ordered


def _year(year: int, settings: Settings) -> tuple[datetime, datetime]:
    zone = settings.zone
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


async def _cohort(uow: UnitOfWork, path_prefix: str, year: int, settings: Settings) -> list[Result]:
    """Every active instructor of a union subtree, counted and ranked: their indicators
    from their tallies (counted again only for those whose work changed since) and the
    scores entered, in one statement."""
    start, end = _year(year, settings)
    results = []
    for standing in await uow.assessments.standings(path_prefix, year, start, end):
        tally = standing.tally
        results.append(
            Result(
                standing.person,
                dict(tally.counts),
                tally.response_hours / tally.responses if tally.responses else None,
                standing.self_score,
                standing.democratic,
            )
        )
    return rank(results, settings)


# How a ranking may be ordered besides its rank: by a column, the rank breaking ties.
RANKING_ORDERS: dict[str, Callable[[Result], tuple[Any, ...]]] = {
    "total": lambda r: (-r.total, r.rank),
    "records": lambda r: (-r.records, r.rank),
    "evaluation": lambda r: (r.evaluation is None, -(r.evaluation or 0), r.rank),
    "name": lambda r: (r.user.display_name, r.rank),
}


def ranking_page(
    ranked: list[Result], order: str, page: int, per_page: int
) -> tuple[list[Result], int, int]:
    """One page (from 1, kept within the pages there are) of a ranking in `order` (an
    unknown order is the rank's): the page's results, the page, the number of pages."""
    ordered = sorted(ranked, key=RANKING_ORDERS.get(order, RANKING_ORDERS["total"]))
    pages = max(1, -(-len(ordered) // per_page))
    page = min(max(page, 1), pages)
    return ordered[(page - 1) * per_page : page * per_page], page, pages


async def results(uow: UnitOfWork, liaison: User, year: int, settings: Settings) -> list[Result]:
    """Every active instructor of the liaison's subtree, ranked."""
    access.liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    return await _cohort(uow, root.path, year, settings)


async def own(
    uow: UnitOfWork, instructor: User, year: int, settings: Settings
) -> tuple[Result, int]:
    """An instructor's own result, ranked among the instructors of their union."""
    union = await orgs.org_of(uow, instructor)
    ranked = await _cohort(uow, union.path, year, settings)
    mine = next(r for r in ranked if r.user.id == instructor.id)
    return mine, len(ranked)


async def scorable(uow: UnitOfWork, liaison: User, user_id: int) -> User:
    """The instructor of the liaison's subtree whose scores the liaison may enter."""
    access.liaison(liaison)
    person = await uow.users.get(user_id)
    if person is None or person.role is not Role.instructor:
        raise AccessDenied()
    await orgs.require_within(uow, liaison, person.org_id)
    return person


async def enter(
    uow: UnitOfWork,
    liaison: User,
    user_id: int,
    year: int,
    self_score: float,
    democratic: float,
    now: datetime,
) -> User:
    person = await scorable(uow, liaison, user_id)
    await uow.assessments.save(
        AssessmentScore(
            user_id=user_id,
            year=year,
            self_score=self_score,
            democratic_score=democratic,
            entered_by_id=liaison.id or 0,
            entered_at=now,
        )
    )
    return person
