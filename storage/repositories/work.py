"""An instructor's recorded work: activity for the assessment, expenses and scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, union_all
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from storage.marks import EVERYONE
from storage.models import (
    AssessmentScore,
    Assignment,
    AssignmentRecipient,
    BargainingCase,
    CaseDocument,
    Expense,
    ExpenseStatus,
    NegotiationRound,
    Org,
    ProblemReport,
    RecipientStatus,
    Rectification,
    SupervisionCheck,
    Survey,
    SurveyResponse,
    Training,
    TrainingInvite,
    User,
    WorkMark,
    WorkTally,
)
from storage.repositories.base import ModelRepo, Repo
from storage.repositories.people import Person, instructor_ids_under, instructors_in

Cohort = Sequence[int] | Select[Any]
"""Whose work is counted: ids, or a statement selecting them (a subtree's instructors, which
the database reads itself, with no list of hundreds of ids sent and bound each time)."""


COUNTED = (
    "sessions",
    "offers",
    "signed",
    "filed",
    "surveys",
    "answers",
    "documents",
    "training_hours",
    "checks",
    "rectifications",
    "reports",
    "assignments",
)


TALLY_BY_ID = 50  # stale people counted by their ids; more, and the whole cohort is counted
TALLY_ROWS = 500  # tallies written per statement (SQLite binds at most 32,766 values)


@dataclass(frozen=True)
class Tally:
    """One person's year: each counted indicator (absent when 0), and the hours taken to
    answer assignments, summed, with how many were answered."""

    counts: dict[str, float]
    response_hours: float
    responses: int


@dataclass(frozen=True)
class Standing:
    """One instructor's year as the assessment reads it: who, their tally, and the
    self-report and democratic evaluation scores entered (None until entered)."""

    person: Person
    tally: Tally
    self_score: float | None
    democratic: float | None


def _named(indicator: str) -> Any:
    """The indicator's name as the first column of its counts (a constant of COUNTED, so
    the statement is the same each time and PostgreSQL needs no parameter type for it)."""
    assert indicator in COUNTED
    return literal_column(f"'{indicator}'").label("indicator")


def _members(cohort: Cohort) -> Any:
    return cohort if isinstance(cohort, Select) else list(cohort)


class ActivityRepo(Repo):
    """What instructors did, counted per person in SQL, for work files and the assessment."""

    async def indicators(
        self, cohort: Cohort, start: datetime, end: datetime
    ) -> dict[str, dict[int, float]]:
        """Every counted indicator per person, in one statement (a UNION ALL of grouped
        counts, each served by its (person, time) index)."""
        who = _members(cohort)
        day_start, day_end = start.date(), end.date()

        def per(name: str, person: Any, when: Any, low: Any, high: Any) -> Any:
            return (
                select(_named(name), col(person), func.count())
                .where(col(person).in_(who), col(when) >= low, col(when) < high)
                .group_by(col(person))
            )

        counts = [
            per("sessions", NegotiationRound.created_by_id, NegotiationRound.held_at, start, end),
            per("offers", BargainingCase.owner_id, BargainingCase.offer_on, day_start, day_end),
            per("signed", BargainingCase.owner_id, BargainingCase.signed_on, day_start, day_end),
            per("filed", BargainingCase.owner_id, BargainingCase.filed_on, day_start, day_end),
            per("surveys", Survey.author_id, Survey.published_at, start, end),
            select(_named("answers"), col(Survey.author_id), func.count(col(SurveyResponse.id)))
            .join(SurveyResponse, col(SurveyResponse.survey_id) == col(Survey.id))
            .where(
                col(Survey.author_id).in_(who),
                col(Survey.published_at) >= start,
                col(Survey.published_at) < end,
            )
            .group_by(col(Survey.author_id)),
            per("documents", CaseDocument.created_by_id, CaseDocument.created_at, start, end),
            select(_named("training_hours"), col(TrainingInvite.user_id), func.sum(Training.hours))
            .join(Training, col(Training.id) == col(TrainingInvite.training_id))
            .where(
                col(TrainingInvite.user_id).in_(who),
                col(TrainingInvite.checked_in_at).is_not(None),
                col(Training.starts_at) >= start,
                col(Training.starts_at) < end,
            )
            .group_by(col(TrainingInvite.user_id)),
            per(
                "checks",
                SupervisionCheck.created_by_id,
                SupervisionCheck.finished_at,
                start,
                end,
            ),
            select(
                _named("rectifications"),
                col(SupervisionCheck.created_by_id),
                func.count(col(Rectification.id)),
            )
            .join(Rectification, col(Rectification.check_id) == col(SupervisionCheck.id))
            .where(
                col(SupervisionCheck.created_by_id).in_(who),
                col(Rectification.closed_at) >= start,
                col(Rectification.closed_at) < end,
            )
            .group_by(col(SupervisionCheck.created_by_id)),
            per("reports", ProblemReport.reporter_id, ProblemReport.created_at, start, end),
            per(
                "assignments",
                AssignmentRecipient.user_id,
                AssignmentRecipient.responded_at,
                start,
                end,
            ).where(
                col(AssignmentRecipient.status).in_(
                    [RecipientStatus.accepted, RecipientStatus.done]
                )
            ),
        ]
        found: dict[str, dict[int, float]] = {name: {} for name in COUNTED}
        for name, uid, n in (await self.session.execute(union_all(*counts))).all():
            found[name][int(uid)] = float(n or 0)
        return found

    async def response_hours(
        self, cohort: Cohort, start: datetime, end: datetime
    ) -> dict[int, list[float]]:
        """Hours from each assignment to its answer, per instructor."""
        found = await self.session.execute(
            select(
                AssignmentRecipient.user_id, AssignmentRecipient.responded_at, Assignment.created_at
            )
            .join(Assignment, col(Assignment.id) == col(AssignmentRecipient.assignment_id))
            .where(
                col(AssignmentRecipient.user_id).in_(_members(cohort)),
                # Taking the task on is the response measured; a quick no is no response.
                col(AssignmentRecipient.status).in_(
                    [RecipientStatus.accepted, RecipientStatus.done]
                ),
                col(AssignmentRecipient.responded_at) >= start,
                col(AssignmentRecipient.responded_at) < end,
            )
        )
        hours: dict[int, list[float]] = {}
        for uid, answered, given in found.all():
            if answered is not None:
                hours.setdefault(int(uid), []).append((answered - given).total_seconds() / 3600)
        return hours

    async def recent(self, user_id: int, since: datetime) -> list[tuple[datetime, str, str]]:
        """The work file: (when, kind, detail) of a person's recorded work, newest first."""
        events: list[tuple[datetime, str, str]] = []
        rounds = await self.session.execute(
            select(
                NegotiationRound.held_at, NegotiationRound.round_no, NegotiationRound.place
            ).where(
                NegotiationRound.created_by_id == user_id, col(NegotiationRound.held_at) >= since
            )
        )
        events += [(at, "session", f"{no}|{place}") for at, no, place in rounds.all()]
        docs = await self.session.execute(
            select(CaseDocument.created_at, CaseDocument.kind, CaseDocument.version).where(
                CaseDocument.created_by_id == user_id, col(CaseDocument.created_at) >= since
            )
        )
        events += [(at, "document", f"{kind}|{version}") for at, kind, version in docs.all()]
        polls = await self.session.execute(
            select(Survey.published_at, Survey.id).where(
                Survey.author_id == user_id, col(Survey.published_at) >= since
            )
        )
        events += [(at, "survey", str(sid)) for at, sid in polls.all() if at is not None]
        visits = await self.session.execute(
            select(SupervisionCheck.created_at, SupervisionCheck.team).where(
                SupervisionCheck.created_by_id == user_id, col(SupervisionCheck.created_at) >= since
            )
        )
        events += [(at, "check", team) for at, team in visits.all()]
        reports = await self.session.execute(
            select(ProblemReport.created_at, ProblemReport.category).where(
                ProblemReport.reporter_id == user_id, col(ProblemReport.created_at) >= since
            )
        )
        events += [(at, "report", category) for at, category in reports.all()]
        trained = await self.session.execute(
            select(Training.starts_at, Training.title)
            .join(TrainingInvite, col(TrainingInvite.training_id) == col(Training.id))
            .where(
                TrainingInvite.user_id == user_id,
                col(TrainingInvite.checked_in_at).is_not(None),
                col(Training.starts_at) >= since,
            )
        )
        events += [(at, "training", title) for at, title in trained.all()]
        tasks = await self.session.execute(
            select(Assignment.created_at, Assignment.kind, AssignmentRecipient.status)
            .join(AssignmentRecipient, col(AssignmentRecipient.assignment_id) == col(Assignment.id))
            .where(AssignmentRecipient.user_id == user_id, col(Assignment.created_at) >= since)
        )
        events += [(at, "assignment", f"{kind}|{status}") for at, kind, status in tasks.all()]
        return sorted(events, key=lambda e: e[0], reverse=True)


class ExpenseRepo(ModelRepo[Expense]):
    model = Expense

    async def of_user(self, user_id: int, since: date) -> Sequence[Expense]:
        found = await self.session.execute(
            select(Expense)
            .where(Expense.user_id == user_id, col(Expense.spent_on) >= since)
            .order_by(col(Expense.spent_on).desc(), col(Expense.id).desc())
        )
        return found.scalars().all()

    async def pending_under(self, path_prefix: str) -> list[tuple[Expense, User]]:
        found = await self.session.execute(
            select(Expense, User)
            .join(User, col(User.id) == col(Expense.user_id))
            .join(Org, col(Org.id) == col(Expense.org_id))
            .where(col(Org.path).startswith(path_prefix), Expense.status == ExpenseStatus.pending)
            .order_by(col(Expense.id))
            .limit(30)
        )
        return [(e, u) for e, u in found.all()]

    async def count_pending_under(self, path_prefix: str) -> int:
        found = await self.session.execute(
            select(func.count())
            .select_from(Expense)
            .join(Org, col(Org.id) == col(Expense.org_id))
            .where(col(Org.path).startswith(path_prefix), Expense.status == ExpenseStatus.pending)
        )
        return int(found.scalar_one())

    async def under(self, path_prefix: str, start: date, end: date) -> list[tuple[Expense, User]]:
        found = await self.session.execute(
            select(Expense, User)
            .join(User, col(User.id) == col(Expense.user_id))
            .join(Org, col(Org.id) == col(Expense.org_id))
            .where(
                col(Org.path).startswith(path_prefix),
                col(Expense.spent_on) >= start,
                col(Expense.spent_on) < end,
            )
            .order_by(col(User.display_name), col(Expense.spent_on))
        )
        return [(e, u) for e, u in found.all()]


class AssessmentRepo(Repo):
    async def standings(
        self, path_prefix: str, year: int, start: datetime, end: datetime
    ) -> list[Standing]:
        """Every active instructor of a union subtree by name, with their year's counted
        indicators and response hours over [start, end) and the scores entered: one
        statement reading their tallies, and the counting again (then kept) only for those
        whose work changed since their tally was counted (storage/marks.py) or who have none.

        The versions are read before the counting, so a write committed in between leaves a
        tally marked older than its person's version: counted again on the next read, never
        taken for up to date."""
        everyone = select(WorkMark.version).where(WorkMark.user_id == EVERYONE).scalar_subquery()
        version = func.coalesce(col(WorkMark.version), 0) + func.coalesce(everyone, 0)
        person = col(User.id)
        tallied = and_(
            col(WorkTally.user_id) == person,
            col(WorkTally.year) == year,
            col(WorkTally.since) == start,  # a tally of another zone's year is no tally
            col(WorkTally.until) == end,
        )
        scored = and_(col(AssessmentScore.user_id) == person, col(AssessmentScore.year) == year)
        found = await self.session.execute(
            instructors_in(
                sa_select(
                    person,
                    col(User.display_name),
                    col(User.org_id),
                    version,
                    col(WorkTally.version),
                    col(WorkTally.counts),
                    col(WorkTally.response_hours),
                    col(WorkTally.responses),
                    col(AssessmentScore.self_score),
                    col(AssessmentScore.democratic_score),
                )
                .outerjoin(WorkMark, col(WorkMark.user_id) == person)
                .outerjoin(WorkTally, tallied)
                .outerjoin(AssessmentScore, scored),
                path_prefix,
            ).order_by(col(User.display_name))
        )
        rows = found.all()
        stale = {uid: now for uid, _, _, now, kept, *_ in rows if kept != now}  # version now
        counted = await self.recount(path_prefix, stale, year, start, end) if stale else {}
        return [
            Standing(
                Person(uid, name, org_id),
                counted[uid] if uid in counted else Tally(counts, hours, responses),
                own,
                others,
            )
            for uid, name, org_id, _, _, counts, hours, responses, own, others in rows
        ]

    async def recount(
        self, path_prefix: str, stale: dict[int, int], year: int, start: datetime, end: datetime
    ) -> dict[int, Tally]:
        """Count these people's year again and keep it as their tallies, each at the version
        given (read before the counting); a tally is replaced only by one counted at the same
        version or a later one."""
        # A few people changed: count them by id; most of the cohort: count it whole.
        who = sorted(stale) if len(stale) <= TALLY_BY_ID else instructor_ids_under(path_prefix)
        activity = ActivityRepo(self.session)
        counted = await activity.indicators(who, start, end)
        answered = await activity.response_hours(who, start, end)
        tallies = {
            uid: Tally(
                {name: n[uid] for name, n in counted.items() if uid in n},
                sum(answered.get(uid, ())),
                len(answered.get(uid, ())),
            )
            for uid in stale
        }
        rows = [
            {
                "user_id": uid,
                "year": year,
                "since": start,
                "until": end,
                "version": stale[uid],
                "counts": tally.counts,
                "response_hours": tally.response_hours,
                "responses": tally.responses,
            }
            for uid, tally in tallies.items()
        ]
        for first in range(0, len(rows), TALLY_ROWS):
            statement = self.insert(WorkTally).values(rows[first : first + TALLY_ROWS])
            kept = {
                name: getattr(statement.excluded, name)
                for name in ("since", "until", "version", "counts", "response_hours", "responses")
            }
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id", "year"],
                    set_=kept,
                    where=col(WorkTally.version) <= statement.excluded.version,
                )
            )
        return tallies

    async def save(self, score: AssessmentScore) -> None:
        await self.session.merge(score)
        await self.session.flush()
