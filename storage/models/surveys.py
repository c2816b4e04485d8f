"""Worker surveys: the survey, who answered (keyed), sealed drafts and pending answers,
the released answers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from storage.models.base import Table
from storage.types import EnumString, UTCDateTime


class SurveyStatus(StrEnum):
    draft = "draft"
    published = "published"  # open between opens_at and closes_at
    closed = "closed"  # closed early by its author, or past closes_at and erased


class Survey(Table, table=True):
    """A worker opinion survey on a case. Who has answered is kept apart from the answers
    (SurveyVoter), under a key that is not in the database; see bot/services/anonymity.py."""

    __tablename__ = "survey"
    __table_args__ = (sa.Index("ix_survey_by", "author_id", "published_at"),)  # assessment

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    token: str = Field(max_length=64, unique=True)
    topics: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    questions: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    rise_max: int  # percent
    status: SurveyStatus = Field(sa_type=EnumString(SurveyStatus))
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: on publishing
    closes_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased: bool = False  # who answered, and unfinished answers, forgotten
    created_at: datetime = Field(sa_type=UTCDateTime)


class SurveyVoter(Table, table=True):
    """Who has answered a survey, as a keyed hash of survey and Telegram id (the key is not
    in the database). Nothing ties a row here to an answer: no id, no time, no order (on
    SQLite the rows are stored by the hash itself). Deleted when the survey closes."""

    __tablename__ = "survey_voter"
    __table_args__ = ({"sqlite_with_rowid": False},)

    survey_id: int = Field(foreign_key="survey.id", primary_key=True)
    tag: str = Field(primary_key=True, max_length=64)


class SurveyDraft(Table, table=True):
    """A worker's unfinished answer, sealed (encrypted) under the key that is not in the
    database and found by a keyed hash of the Telegram id; deleted on submit, on leaving,
    when the survey closes and after SURVEY_DRAFT_DAYS idle days."""

    __tablename__ = "survey_draft"
    __table_args__ = ({"sqlite_with_rowid": False},)

    tag: str = Field(primary_key=True, max_length=64)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    sealed: bytes = Field(sa_type=sa.LargeBinary)
    touched_on: date


class SurveyPending(Table, table=True):
    """A submitted answer not yet released into the results, sealed; answers are released
    in batches of at least k, in random order, so that no view and no storage order singles
    one out. The id is random."""

    __tablename__ = "survey_pending"

    id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    survey_id: int = Field(foreign_key="survey.id", index=True)
    sealed: bytes = Field(sa_type=sa.LargeBinary)


class SurveyDay(Table, table=True):
    """How many answers came in on each day (the survey's zone), apart from the answers."""

    __tablename__ = "survey_day"

    survey_id: int = Field(foreign_key="survey.id", primary_key=True)
    day: date = Field(primary_key=True)
    answers: int = 0


class SurveyResponse(Table, table=True):
    """One released answer: no Telegram id, no time, a random id (so neither ids nor the
    storage order follow the order of submission)."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        sa.Index("ix_survey_answer_rise", "survey_id", "rise"),
        sa.Index("ix_survey_answer_stratum", "survey_id", "stratum", "rise"),
    )

    id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    survey_id: int = Field(foreign_key="survey.id")
    rise: int | None = None  # tenths of a percent
    stratum: str | None = Field(default=None, max_length=12)
    comment: str = Field(default="", max_length=500)


class SurveyPick(Table, table=True):
    """A topic an answer chose (rank 0) or ranked (1–3); item indexes Survey.topics."""

    __tablename__ = "survey_answer_pick"
    __table_args__ = (sa.Index("ix_survey_answer_pick_survey", "survey_id", "item", "rank"),)

    response_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="survey_answer.id", primary_key=True
    )
    rank: int = Field(primary_key=True)
    item: int = Field(primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
