"""Whose counted work a write changes: every flush that inserts, deletes or changes a row the
assessment counts bumps its people's WorkMark in the same transaction, so a tally counted
before the write (storage/repositories/work.py, WorkTally) is known to be out of date.

This watches the ORM's unit of work (every repository writes through it) and the ORM's bulk
statements (an UPDATE, DELETE or INSERT of a counted table through `session.execute`, whose
rows are unknown here: it moves everyone's version). A script that writes a counted table
with plain SQL, around the ORM, must bump `work_mark` row 0 itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel import SQLModel, col

from storage.models import (
    Assignment,
    AssignmentRecipient,
    BargainingCase,
    CaseDocument,
    NegotiationRound,
    ProblemReport,
    Rectification,
    SupervisionCheck,
    Survey,
    SurveyResponse,
    Training,
    TrainingInvite,
    WorkMark,
)
from storage.repositories.base import dialect_insert

EVERYONE = 0  # the WorkMark row whose version every tally adds to its person's


@dataclass(frozen=True, eq=False)
class Counted:
    """A table the assessment counts: whose work a row is, and which of its columns move a
    count when they change (an insert or a delete always does).

    `person` names the row's column holding the person; or else the row's `via` column holds
    another row's key (`key`), whose `person` column (a column of that other table) holds the
    people: the author of an answer's survey, the invitees of a training."""

    model: type[SQLModel]
    columns: frozenset[str]
    person: Any  # a column name of this table, or with `via`, a column of the other table
    via: str | None = None
    key: Any = None


def _counted(model: type[SQLModel], *columns: str, person: Any, **via: Any) -> Counted:
    return Counted(model, frozenset(columns), person, **via)


COUNTED_TABLES: tuple[Counted, ...] = (
    _counted(NegotiationRound, "created_by_id", "held_at", person="created_by_id"),
    _counted(BargainingCase, "owner_id", "offer_on", "signed_on", "filed_on", person="owner_id"),
    _counted(Survey, "author_id", "published_at", person="author_id"),
    _counted(SurveyResponse, "survey_id", person=Survey.author_id, via="survey_id", key=Survey.id),
    _counted(CaseDocument, "created_by_id", "created_at", person="created_by_id"),
    _counted(TrainingInvite, "user_id", "training_id", "checked_in_at", person="user_id"),
    _counted(
        Training,
        "hours",
        "starts_at",
        person=TrainingInvite.user_id,
        via="id",
        key=TrainingInvite.training_id,
    ),
    _counted(SupervisionCheck, "created_by_id", "finished_at", person="created_by_id"),
    _counted(
        Rectification,
        "check_id",
        "closed_at",
        person=SupervisionCheck.created_by_id,
        via="check_id",
        key=SupervisionCheck.id,
    ),
    _counted(ProblemReport, "reporter_id", "created_at", person="reporter_id"),
    _counted(AssignmentRecipient, "user_id", "status", "responded_at", person="user_id"),
    _counted(
        Assignment,
        "created_at",
        person=AssignmentRecipient.user_id,
        via="id",
        key=AssignmentRecipient.assignment_id,
    ),
)
_BY_MODEL = {counted.model: counted for counted in COUNTED_TABLES}
_TABLES = {counted.model.__table__.name: counted for counted in COUNTED_TABLES}  # type: ignore[attr-defined]


def _values(state: Any, name: str, changed: bool) -> Iterable[Any]:
    """The column's value, and before it the value it replaces when `changed`."""
    history = state.attrs[name].history
    if changed:
        yield from history.deleted
        yield from history.added or history.unchanged
    else:
        yield getattr(state.object, name)


def _touched(session: Session) -> tuple[set[int], dict[type[SQLModel], set[Any]]]:
    """The people whose counted work this flush changes, and the rows found through another
    table (by their id) whose people it changes."""
    people: set[int] = set()
    through: dict[type[SQLModel], set[Any]] = {}  # by the table whose rows hold the keys
    rows = [(obj, False) for obj in session.new] + [(obj, False) for obj in session.deleted]
    rows += [(obj, True) for obj in session.dirty]
    for obj, dirty in rows:
        counted = _BY_MODEL.get(type(obj))
        if counted is None:
            continue
        state = inspect(obj)
        if dirty and not any(state.attrs[c].history.has_changes() for c in counted.columns):
            continue
        if counted.via is None:
            people.update(v for v in _values(state, counted.person, dirty) if v is not None)
        else:
            ids = {v for v in _values(state, counted.via, dirty) if v is not None}
            through.setdefault(counted.model, set()).update(ids)
    return people, through


def _bump(connection: Connection, people: Iterable[int]) -> None:
    """Move these people's versions (a row each, made at 1 the first time)."""
    statement = dialect_insert(connection.dialect.name, WorkMark).values(
        [{"user_id": p, "version": 1} for p in people]
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"version": col(WorkMark.version) + 1}
        )
    )


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    people, through = _touched(session)
    if not people and not through:
        return
    connection = session.connection()
    for model, ids in through.items():
        counted = _BY_MODEL[model]
        found = select(col(counted.person)).where(col(counted.key).in_(sorted(ids)))
        people.update(p for (p,) in connection.execute(found) if p is not None)
    if people:
        # In id order: two transactions bumping the same people lock them in one order.
        _bump(connection, sorted(people))


def _bulk(state: ORMExecuteState) -> None:
    """An UPDATE, DELETE or INSERT statement on a counted table: whose rows it changes is not
    known here, so everyone's tally is out of date (an UPDATE that sets no counted column
    changes no count)."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    counted = _TABLES.get(getattr(table, "name", ""))
    if counted is None:
        return
    if state.is_update:
        values = getattr(state.statement, "_values", None) or {}
        names = {getattr(key, "key", key) for key in values}
        if names and not names & counted.columns:
            return
    _bump(state.session.connection(), [EVERYONE])


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "do_orm_execute", _bulk)
