"""The assessment's tallies (WorkTally, storage/marks.py) never rank anyone on stale counts:
after every kind of write to every table the assessment counts — insert, a counted column
changed, the row moved to another person, delete, a bulk statement — the ranking read from
the tallies equals the ranking counted from nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.sql.util import find_tables
from sqlmodel import col

from bot.services import assessment, demo
from bot.settings import Settings
from bot.testing import Harness
from storage.marks import COUNTED_TABLES
from storage.models import (
    Assignment,
    AssignmentKind,
    AssignmentRecipient,
    BargainingCase,
    CaseDocument,
    NegotiationRound,
    ProblemReport,
    RecipientStatus,
    Rectification,
    ReportStatus,
    SupervisionCheck,
    Survey,
    SurveyResponse,
    Training,
    TrainingInvite,
    User,
    WorkMark,
    WorkTally,
)
from storage.repositories import instructor_ids_under
from storage.repositories.base import random_id
from storage.uow import UnitOfWork
from tests.conftest import make_settings

LI, ZHANG, LIAISON = 1101, 1102, 1001  # the demo's two instructors and their liaison


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)


Snapshot = list[tuple[Any, ...]]


def _snapshot(results: list[assessment.Result]) -> Snapshot:
    return [
        (r.user.id, dict(sorted(r.values.items())), r.response_hours, round(r.total, 9), r.rank)
        for r in results
    ]


async def _ranking(h: Harness, recount: bool = False) -> Snapshot:
    """The liaison's ranking: from the tallies, or counted from nothing (tallies dropped,
    then rolled back)."""
    async with UnitOfWork(h.app.db.sessions) as uow:
        liaison = await uow.users.by_telegram_id(LIAISON)
        assert liaison is not None
        if recount:
            await uow.session.execute(delete(WorkTally))
        year = h.clock.now().astimezone(h.app.settings.zone).year
        found = _snapshot(await assessment.results(uow, liaison, year, h.app.settings))
        if recount:
            await uow.rollback()
        else:
            await uow.commit()
        return found


async def _ids(h: Harness) -> dict[str, int]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        li = await uow.users.by_telegram_id(LI)
        zhang = await uow.users.by_telegram_id(ZHANG)
        liaison = await uow.users.by_telegram_id(LIAISON)
        case = (await uow.session.execute(select(BargainingCase))).scalars().first()
        survey = (await uow.session.execute(select(Survey))).scalars().first()
        training = (await uow.session.execute(select(Training))).scalars().first()
        assert li is not None
        assert zhang is not None
        assert liaison is not None
        assert case is not None
        assert survey is not None
        assert training is not None
        return {
            "li": li.id or 0,
            "zhang": zhang.id or 0,
            "liaison": liaison.id or 0,
            "org": li.org_id,
            "case": case.id or 0,
            "survey": survey.id or 0,
            "training": training.id or 0,
        }


async def _marks(uow: UnitOfWork) -> dict[int, int]:
    """Each person's WorkMark version."""
    found = select(col(WorkMark.user_id), col(WorkMark.version))
    return {uid: v for uid, v in (await uow.session.execute(found)).all()}


Write = Callable[[UnitOfWork, dict[str, int], datetime], Awaitable[None]]


async def _first(uow: UnitOfWork, model: Any) -> Any:
    return (await uow.session.execute(select(model))).scalars().first()


async def _add_round(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    uow.session.add(
        NegotiationRound(
            case_id=ids["case"],
            round_no=9,
            held_at=now - timedelta(days=3),
            place="会议室",
            workers_present=5,
            employer_present=5,
            chiefs_present=True,
            recorder="记录员",
            created_by_id=ids["li"],
            created_at=now,
            updated_at=now,
        )
    )


async def _round_to_last_year(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    for found in (await uow.session.execute(select(NegotiationRound))).scalars():
        found.held_at = now - timedelta(days=400)


async def _round_to_zhang(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    for found in (await uow.session.execute(select(NegotiationRound))).scalars():
        found.held_at, found.created_by_id = now - timedelta(days=1), ids["zhang"]


async def _drop_rounds(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    for found in (await uow.session.execute(select(NegotiationRound))).scalars():
        await uow.session.delete(found)


async def _milestones(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    case = await _first(uow, BargainingCase)
    case.offer_on = case.signed_on = case.filed_on = now.date() - timedelta(days=2)


async def _case_to_zhang(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    (await _first(uow, BargainingCase)).owner_id = ids["zhang"]


async def _survey_last_year(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    (await _first(uow, Survey)).published_at = now - timedelta(days=400)


async def _survey_to_zhang(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    (await _first(uow, Survey)).author_id = ids["zhang"]


async def _answer(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    uow.session.add(
        SurveyResponse(id=random_id(), survey_id=ids["survey"], rise=50, comment="tally")
    )


async def _drop_answer(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    mine = select(SurveyResponse).where(col(SurveyResponse.comment) == "tally")
    await uow.session.delete((await uow.session.execute(mine)).scalar_one())


async def _document(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    uow.session.add(
        CaseDocument(
            case_id=ids["case"],
            kind="offer",
            version=1,
            file_name="要约书.docx",
            content=b"docx",
            created_by_id=ids["li"],
            created_at=now,
        )
    )


async def _check_in(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    for invite in (await uow.session.execute(select(TrainingInvite))).scalars():
        invite.checked_in_at = now


async def _longer_training(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    training = await _first(uow, Training)
    training.hours = training.hours + 2.5
    training.starts_at = min(training.starts_at, now - timedelta(days=1))


async def _training_last_year(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    training = await _first(uow, Training)
    training.starts_at = now - timedelta(days=400)


async def _check(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    check = SupervisionCheck(
        case_id=ids["case"],
        scheduled_on=now.date(),
        team="督导组",
        created_by_id=ids["li"],
        created_at=now,
        finished_at=now,
    )
    uow.session.add(check)
    await uow.session.flush()
    uow.session.add(
        Rectification(check_id=check.id or 0, area="wages", item="工资表", created_at=now)
    )


async def _rectified(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    (await _first(uow, Rectification)).closed_at = now


async def _check_to_zhang(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    (await _first(uow, SupervisionCheck)).created_by_id = ids["zhang"]


async def _report(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    uow.session.add(
        ProblemReport(
            reporter_id=ids["li"],
            org_id=ids["org"],
            category="other",
            urgent=False,
            text="企业拒绝协商",
            status=ReportStatus.open,
            created_at=now,
        )
    )


async def _assignment(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    task = Assignment(
        org_id=ids["org"],
        created_by_id=ids["liaison"],
        kind=AssignmentKind.guidance,
        due_on=now.date(),
        description="走访企业",
        created_at=now - timedelta(hours=30),
    )
    uow.session.add(task)
    await uow.session.flush()
    uow.session.add(AssignmentRecipient(assignment_id=task.id or 0, user_id=ids["zhang"]))


async def _accepted(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    line = await _first(uow, AssignmentRecipient)
    line.status, line.responded_at = RecipientStatus.accepted, now


async def _assigned_earlier(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    task = await _first(uow, Assignment)
    task.created_at = task.created_at - timedelta(hours=12)


async def _bulk_rounds(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    """李明 records a round, and one statement moves every round to Zhang: whose rows it
    moved is not known, so everyone's tally is counted again."""
    await _add_round(uow, ids, now)
    await uow.session.flush()
    await uow.session.execute(update(NegotiationRound).values(created_by_id=ids["zhang"]))


async def _bulk_reports_unrelated(uow: UnitOfWork, ids: dict[str, int], now: datetime) -> None:
    """An UPDATE of a counted table that sets no counted column moves no count."""
    await uow.session.execute(update(ProblemReport).values(escalated_at=now))


WRITES: list[Write] = [
    _add_round,
    _round_to_last_year,
    _round_to_zhang,
    _drop_rounds,
    _milestones,
    _case_to_zhang,
    _answer,
    _survey_to_zhang,
    _drop_answer,
    _survey_last_year,
    _document,
    _check_in,
    _longer_training,
    _training_last_year,
    _check,
    _rectified,
    _check_to_zhang,
    _report,
    _assignment,
    _accepted,
    _assigned_earlier,
    _bulk_rounds,
    _bulk_reports_unrelated,
]


async def test_every_write_to_counted_work_is_seen(harness: Harness):
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await demo.seed(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    ids = await _ids(harness)
    now = harness.clock.now()
    before = await _ranking(harness)
    assert before == await _ranking(harness, recount=True)
    still = []
    for write in WRITES:
        async with UnitOfWork(harness.app.db.sessions) as uow:
            await write(uow, ids, now)
            await uow.commit()
        tallied = await _ranking(harness)
        assert tallied == await _ranking(harness, recount=True), write.__name__
        if tallied == before:
            still.append(write.__name__)
        before = tallied
    # The writes move the ranking's figures, but for a task not yet taken on (not counted
    # until accepted) and an UPDATE of no counted column.
    assert still == ["_assignment", "_bulk_reports_unrelated"]


async def test_a_tally_is_counted_again_only_when_its_person_changed(harness: Harness):
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await demo.seed(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    ids = await _ids(harness)
    await _ranking(harness)

    async def versions() -> dict[int, int]:
        async with UnitOfWork(harness.app.db.sessions) as uow:
            found = await uow.session.execute(
                select(col(WorkTally.user_id), col(WorkTally.version))
            )
            return {uid: v for uid, v in found.all()}

    first = await versions()
    assert set(first) == {ids["li"], ids["zhang"]}
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await _report(uow, ids, harness.clock.now())  # 李明's
        await uow.commit()
    await _ranking(harness)
    second = await versions()
    assert second[ids["zhang"]] == first[ids["zhang"]]  # untouched: read, not counted
    assert second[ids["li"]] > first[ids["li"]]
    # A write rolled back moves nothing.
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await _report(uow, ids, harness.clock.now())
        await uow.session.flush()
        await uow.rollback()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        marks = await _marks(uow)
    assert marks[ids["li"]] == second[ids["li"]]


async def test_a_tally_counted_before_a_write_is_not_taken_for_current(harness: Harness):
    """The race the versions close: counts read, then a write commits, then the tally is
    kept — it is kept at the version read before the write, so the next read counts again."""
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await demo.seed(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    ids = await _ids(harness)
    now = harness.clock.now()
    year = now.astimezone(harness.app.settings.zone).year
    start = datetime(year, 1, 1, tzinfo=harness.app.settings.zone)
    end = datetime(year + 1, 1, 1, tzinfo=harness.app.settings.zone)
    async with UnitOfWork(harness.app.db.sessions) as reader:
        liaison = await reader.users.by_telegram_id(LIAISON)
        assert liaison is not None
        root = await reader.orgs.get(liaison.org_id)
        assert root is not None
        path = root.path
        # The versions are read; before the counting, another transaction records a round.
        marks = dict(
            (
                await reader.session.execute(select(col(WorkMark.user_id), col(WorkMark.version)))
            ).all()
        )
        await reader.rollback()
    async with UnitOfWork(harness.app.db.sessions) as writer:
        await _add_round(writer, ids, now)
        await writer.commit()
    async with UnitOfWork(harness.app.db.sessions) as reader:
        # Kept at the version read before the write (what a slow reader would store).
        stale = {ids["li"]: marks.get(ids["li"], 0), ids["zhang"]: marks.get(ids["zhang"], 0)}
        await reader.assessments.recount(path, stale, year, start, end)
        await reader.commit()
    assert await _ranking(harness) == await _ranking(harness, recount=True)


def test_every_table_the_assessment_counts_is_watched():
    """A table read by the counting that storage/marks.py does not watch would let a tally
    go stale: every table in the counting statements is a counted table (or the cohort's)."""
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    captured: list[Any] = []

    class Session:
        async def execute(self, statement: Any) -> Any:
            captured.append(statement)

            class Result:
                def all(self) -> list[Any]:
                    return []

            return Result()

    import asyncio

    from storage.repositories import ActivityRepo

    repo = ActivityRepo(Session())  # type: ignore[arg-type]
    asyncio.run(repo.indicators(instructor_ids_under("/1/"), start, end))
    asyncio.run(repo.response_hours([1], start, end))
    read = {t.name for s in captured for t in find_tables(s, include_joins=True)}
    watched = {c.model.__table__.name for c in COUNTED_TABLES}  # type: ignore[attr-defined]
    cohort = {User.__tablename__, "org"}
    assert read - cohort <= watched, read - cohort - watched
    assert watched <= read  # nothing watched that is not counted


async def test_a_row_moved_to_another_person_moves_both_versions(harness: Harness):
    """A round moved from one instructor to another: both had their work changed."""
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await demo.seed(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    ids = await _ids(harness)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        before = await _marks(uow)
        await _round_to_zhang(uow, ids, harness.clock.now())  # 李明's round moves to Zhang
        await uow.commit()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        after = await _marks(uow)
        total = (await uow.session.execute(select(func.count()).select_from(WorkMark))).scalar()
    for person in (ids["li"], ids["zhang"]):
        assert after[person] == before.get(person, 0) + 1
    assert total == len(after)
