"""SQLModel tables. Enums are stored as short strings so migrations stay portable."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import EnumString, UTCDateTime


class OrgLevel(StrEnum):
    national = "national"
    province = "province"
    city = "city"
    county = "county"
    township = "township"
    zone = "zone"
    industry = "industry"


class Role(StrEnum):
    liaison = "liaison"
    instructor = "instructor"


class HiringRoute(StrEnum):
    direct = "direct"
    social_worker = "social_worker"
    purchased = "purchased"


class ProfileStatus(StrEnum):
    active = "active"
    pending_approval = "pending_approval"


class Org(SQLModel, table=True):
    """A union in the tree. `path` is the materialised path '/1/4/9/' for subtree queries."""

    __tablename__ = "org"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    level: OrgLevel = Field(sa_type=EnumString(OrgLevel))
    parent_id: int | None = Field(default=None, foreign_key="org.id", index=True)
    path: str = Field(default="", max_length=255, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """Someone bound to a role by an invite. Strangers and survey workers have no row."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True)
    role: Role = Field(sa_type=EnumString(Role))
    org_id: int = Field(foreign_key="org.id", index=True)
    display_name: str = Field(default="", max_length=128)
    locale: str = Field(default="zh", max_length=8)
    active: bool = True
    blocked_bot: bool = False
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A single-use code. Only its SHA-256 is stored, so a copy of the database leaks none."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    role: Role = Field(sa_type=EnumString(Role))
    org_id: int = Field(foreign_key="org.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InviteAttempt(SQLModel, table=True):
    """A wrong invite code, kept for the attempt limit and pruned after its window."""

    __tablename__ = "invite_attempt"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, index=True)
    at: datetime = Field(sa_type=UTCDateTime)


class InstructorProfile(SQLModel, table=True):
    __tablename__ = "instructor_profile"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    name: str = Field(max_length=50)
    phone: str = Field(max_length=20)
    birth_date: date
    hiring_route: HiringRoute = Field(sa_type=EnumString(HiringRoute))
    certificate_no: str | None = Field(default=None, max_length=40)
    area: str = Field(max_length=100)
    status: ProfileStatus = Field(sa_type=EnumString(ProfileStatus))
    approval_recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approval_recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled: the guard that handles each at most once."""

    __tablename__ = "processed_update"

    update_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    )
    processed_at: datetime = Field(sa_type=UTCDateTime, index=True)


class FsmRecord(SQLModel, table=True):
    """A conversation's state and form data, so half-filled forms survive restarts."""

    __tablename__ = "fsm_record"

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CaseType(StrEnum):
    comprehensive = "comprehensive"
    wage = "wage"
    women = "women"
    safety = "safety"
    industry = "industry"
    regional = "regional"


class Stage(StrEnum):
    preparing = "preparing"
    offer_sent = "offer_sent"
    reply_received = "reply_received"
    negotiating = "negotiating"
    suspended = "suspended"
    draft = "draft"
    signed = "signed"
    filed = "filed"
    in_force = "in_force"
    performing = "performing"
    expiring = "expiring"
    renewed = "renewed"
    terminated = "terminated"


class Enterprise(SQLModel, table=True):
    """An employer. `org_id` is the union whose area it is in (for who may see it)."""

    __tablename__ = "enterprise"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    credit_code: str = Field(max_length=18, unique=True)
    industry: str = Field(max_length=50)
    headcount: int
    women: int
    has_union: bool
    address: str = Field(max_length=200)
    contact: str = Field(max_length=100)
    org_id: int = Field(foreign_key="org.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Asked once, by the first contract drafted, then known to every later document.
    legal_rep: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    economic_type: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})


class BargainingCase(SQLModel, table=True):
    """One round of collective bargaining, from preparation to the contract's end."""

    __tablename__ = "bargaining_case"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    case_type: CaseType = Field(sa_type=EnumString(CaseType))
    year: int
    stage: Stage = Field(sa_type=EnumString(Stage))
    stage_on: date
    offer_on: date | None = None
    first_round_on: date | None = None
    signed_on: date | None = None
    filed_on: date | None = None
    term_years: int | None = None
    congress_total: int | None = None
    congress_present: int | None = None
    congress_yes: int | None = None
    congress_passed: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CaseEnterprise(SQLModel, table=True):
    """The enterprises a case covers (several for industry-level and regional cases)."""

    __tablename__ = "case_enterprise"

    case_id: int = Field(foreign_key="bargaining_case.id", primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", primary_key=True, index=True)


class StageEvent(SQLModel, table=True):
    """Each stage change with the day it happened and who recorded it."""

    __tablename__ = "stage_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    from_stage: Stage | None = Field(default=None, sa_type=EnumString(Stage))
    to_stage: Stage = Field(sa_type=EnumString(Stage))
    on: date
    by_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime)


class ReportStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"


class ProblemReport(SQLModel, table=True):
    """A major problem (重大问题) an instructor reports to the union, escalated upwards when
    nobody acknowledges it in time."""

    __tablename__ = "problem_report"

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(foreign_key="app_user.id", index=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="bargaining_case.id")
    category: str = Field(max_length=20)
    urgent: bool
    text: str = Field(max_length=2000)
    photo_file_id: str | None = Field(default=None, max_length=200)
    status: ReportStatus = Field(sa_type=EnumString(ReportStatus), index=True)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_to_org_id: int | None = Field(default=None, foreign_key="org.id")
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class TopicStatus(StrEnum):
    proposed = "proposed"
    countered = "countered"
    tentative = "tentative"  # tentatively agreed
    agreed = "agreed"
    dropped = "dropped"


class CaseTopic(SQLModel, table=True):
    """A contract topic on a case (Art. 8's fifteen, or a custom one) and where it stands."""

    __tablename__ = "case_topic"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    key: str = Field(max_length=20)  # an Art. 8 topic key, or "custom"
    title: str = Field(default="", max_length=50)  # for custom topics
    our_demand: str = Field(default="", max_length=500)
    their_position: str = Field(default="", max_length=500)
    status: TopicStatus = Field(sa_type=EnumString(TopicStatus))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class TopicEvent(SQLModel, table=True):
    """A topic's history: every change of status, demand or position, by round."""

    __tablename__ = "topic_event"

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="case_topic.id", index=True)
    round_no: int | None = None
    status: TopicStatus = Field(sa_type=EnumString(TopicStatus))
    our_demand: str = Field(default="", max_length=500)
    their_position: str = Field(default="", max_length=500)
    by_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime)


class NegotiationRound(SQLModel, table=True):
    """One logged negotiation meeting (协商会议)."""

    __tablename__ = "negotiation_round"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    round_no: int
    held_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(max_length=100)
    workers_present: int
    employer_present: int
    chiefs_present: bool
    recorder: str = Field(max_length=30)
    agreements: str = Field(default="", max_length=2000)
    open_points: str = Field(default="", max_length=2000)
    next_meeting_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notes: str = Field(default="", max_length=2000)
    # Who attended, by side ("workers", "employer"): names ticked from the registered
    # representatives (empty when only a number was typed).
    attendees: dict[str, list[str]] = Field(default_factory=dict, sa_type=sa.JSON)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RoundRevision(SQLModel, table=True):
    """A logged round as it was before a correction: the edit history."""

    __tablename__ = "round_revision"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="negotiation_round.id", index=True)
    before: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    by_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime)


class Side(StrEnum):
    workers = "workers"
    employer = "employer"


class CaseRepresentative(SQLModel, table=True):
    """A bargaining representative on one side of a case."""

    __tablename__ = "case_representative"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    side: Side = Field(sa_type=EnumString(Side))
    name: str = Field(max_length=30)
    post: str = Field(default="", max_length=50)
    chief: bool = False
    expert: bool = False
    woman: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)


class EnterpriseFinance(SQLModel, table=True):
    """An enterprise's figures for one year (调查研究), money in units of 10,000 yuan (万元)."""

    __tablename__ = "enterprise_finance"

    enterprise_id: int = Field(foreign_key="enterprise.id", primary_key=True)
    year: int = Field(primary_key=True)
    revenue: float
    profit: float
    labour_cost: float
    wage_bill: float
    average_wage: float  # yuan per month
    headcount: int
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WageGuideline(SQLModel, table=True):
    """A region's wage guideline (工资指导线) and reference figures for one year."""

    __tablename__ = "wage_guideline"

    org_id: int = Field(foreign_key="org.id", primary_key=True)
    year: int = Field(primary_key=True)
    baseline_pct: float
    upper_pct: float
    lower_pct: float
    minimum_wage: float  # yuan per month
    cpi_pct: float
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CaseShare(SQLModel, table=True):
    """Another instructor the case's owner lets see the case."""

    __tablename__ = "case_share"

    case_id: int = Field(foreign_key="bargaining_case.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ReminderStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a process; back to pending if its lease runs out
    sent = "sent"
    failed = "failed"
    blocked = "blocked"  # the recipient blocked the bot
    cancelled = "cancelled"


class Reminder(SQLModel, table=True):
    """A message due at a moment. Rows, not timers: restarts lose nothing, and an atomic
    claim lets several processes share the work without sending anything twice."""

    __tablename__ = "reminder"
    __table_args__ = (sa.Index("ix_reminder_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=30)
    idem_key: str = Field(max_length=120, unique=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    urgent: bool = False
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: ReminderStatus = Field(sa_type=EnumString(ReminderStatus))
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool = False
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # marked done
    created_at: datetime = Field(sa_type=UTCDateTime)


class SurveyStatus(StrEnum):
    draft = "draft"
    published = "published"  # open between opens_at and closes_at
    closed = "closed"  # closed early by its author, or past closes_at and erased


class Survey(SQLModel, table=True):
    """A worker opinion survey on a case. Who has answered is kept apart from the answers
    (SurveyVoter), under a key that is not in the database; see bot/services/anonymity.py."""

    __tablename__ = "survey"

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


class SurveyVoter(SQLModel, table=True):
    """Who has answered a survey, as a keyed hash of survey and Telegram id (the key is not
    in the database). Nothing ties a row here to an answer: no id, no time, no order (on
    SQLite the rows are stored by the hash itself). Deleted when the survey closes."""

    __tablename__ = "survey_voter"
    __table_args__ = {"sqlite_with_rowid": False}

    survey_id: int = Field(foreign_key="survey.id", primary_key=True)
    tag: str = Field(primary_key=True, max_length=64)


class SurveyDraft(SQLModel, table=True):
    """A worker's unfinished answer, sealed (encrypted) under the key that is not in the
    database and found by a keyed hash of the Telegram id; deleted on submit, on leaving,
    when the survey closes and after SURVEY_DRAFT_DAYS idle days."""

    __tablename__ = "survey_draft"
    __table_args__ = {"sqlite_with_rowid": False}

    tag: str = Field(primary_key=True, max_length=64)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    sealed: bytes = Field(sa_type=sa.LargeBinary)
    touched_on: date


class SurveyPending(SQLModel, table=True):
    """A submitted answer not yet released into the results, sealed; answers are released
    in batches of at least k, in random order, so that no view and no storage order singles
    one out. The id is random."""

    __tablename__ = "survey_pending"

    id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    survey_id: int = Field(foreign_key="survey.id", index=True)
    sealed: bytes = Field(sa_type=sa.LargeBinary)


class SurveyDay(SQLModel, table=True):
    """How many answers came in on each day (the survey's zone), apart from the answers."""

    __tablename__ = "survey_day"

    survey_id: int = Field(foreign_key="survey.id", primary_key=True)
    day: date = Field(primary_key=True)
    answers: int = 0


class SurveyResponse(SQLModel, table=True):
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


class SurveyPick(SQLModel, table=True):
    """A topic an answer chose (rank 0) or ranked (1–3); item indexes Survey.topics."""

    __tablename__ = "survey_answer_pick"
    __table_args__ = (sa.Index("ix_survey_answer_pick_survey", "survey_id", "item", "rank"),)

    response_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="survey_answer.id", primary_key=True
    )
    rank: int = Field(primary_key=True)
    item: int = Field(primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")


class CaseDocument(SQLModel, table=True):
    """A generated Word file: its type, version, who made it when, the answers it was built
    from, and the file itself, so any version can be sent again."""

    __tablename__ = "case_document"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "kind", "version", name="uq_case_document_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    kind: str = Field(max_length=20)
    version: int
    file_name: str = Field(max_length=160)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    content: bytes = Field(sa_type=sa.LargeBinary)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Duty(SQLModel, table=True):
    """A recurring duty: a cron rule (evaluated by APScheduler's CronTrigger in the union's
    time zone) and the next time it falls due; each occurrence becomes a reminder row."""

    __tablename__ = "duty"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)  # kind:owner:case
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=20)  # supervision, monthly_report, contact_meeting
    case_id: int | None = Field(default=None, foreign_key="bargaining_case.id")
    cron: str = Field(max_length=60)
    next_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class TrainingKind(StrEnum):
    study = "study"  # 集中学习
    observe = "observe"  # 交流观摩
    mock = "mock"  # 模拟协商
    cases = "cases"  # 典型案例分析


class Training(SQLModel, table=True):
    """A training session a liaison organises for instructors of their subtree."""

    __tablename__ = "training"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)  # the audience's union (subtree)
    created_by_id: int = Field(foreign_key="app_user.id")
    kind: TrainingKind = Field(sa_type=EnumString(TrainingKind))
    title: str = Field(max_length=100)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(default="", max_length=300)  # a place or an online link
    hours: float
    cancelled: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)


class TrainingInvite(SQLModel, table=True):
    """One instructor invited to a training: their answer, and whether they attended."""

    __tablename__ = "training_invite"

    training_id: int = Field(foreign_key="training.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    response: str = Field(default="pending", max_length=10)  # pending, attend, cannot
    reason: str = Field(default="", max_length=200)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    marked_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class SupervisionCheck(SQLModel, table=True):
    """A performance supervision visit (履约监督检查) of a contract in force."""

    __tablename__ = "supervision_check"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    scheduled_on: date
    team: str = Field(max_length=200)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CheckItem(SQLModel, table=True):
    """One checklist area of a visit: pass, problem or not applicable, with a note or photo."""

    __tablename__ = "check_item"

    check_id: int = Field(foreign_key="supervision_check.id", primary_key=True)
    area: str = Field(max_length=20, primary_key=True)
    result: str = Field(max_length=10)  # pass, problem, na
    note: str = Field(default="", max_length=500)
    photo: str = Field(default="", max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)


class Rectification(SQLModel, table=True):
    """A problem found on a visit, to be put right by its owner by a date."""

    __tablename__ = "rectification"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="supervision_check.id", index=True)
    area: str = Field(max_length=20)
    item: str = Field(max_length=500)
    owner: str = Field(default="", max_length=50)
    due_on: date | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class BroadcastStatus(StrEnum):
    awaiting_approval = "awaiting"  # above the audience limit: a second liaison approves
    sending = "sending"
    done = "done"
    cancelled = "cancelled"


class Broadcast(SQLModel, table=True):
    """A notice to every member of a union subtree with a role. Its deliveries are outbox
    rows, so a crash in the middle resumes where it stopped."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)  # the audience's union (subtree)
    audience_role: str = Field(max_length=12)  # instructor, liaison, all
    created_by_id: int = Field(foreign_key="app_user.id")
    text: str = Field(sa_type=sa.Text)
    status: BroadcastStatus = Field(sa_type=EnumString(BroadcastStatus))
    total: int = 0
    approved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    progress_chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    progress_message_id: int | None = None
    progress_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a process (storage/repositories/outbox.py)
    sent = "sent"
    failed = "failed"
    blocked = "blocked"  # the recipient blocked the bot


class BroadcastDelivery(SQLModel, table=True):
    __tablename__ = "broadcast_delivery"
    __table_args__ = (sa.Index("ix_broadcast_delivery_due", "status", "broadcast_id"),)

    broadcast_id: int = Field(foreign_key="broadcast.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending, sa_type=EnumString(DeliveryStatus, length=10)
    )
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AssignmentKind(StrEnum):
    guidance = "guidance"
    negotiation = "negotiation"
    training = "training"
    supervision = "supervision"
    research = "research"


class Assignment(SQLModel, table=True):
    """A task (派遣任务) a liaison gives one or more instructors."""

    __tablename__ = "assignment"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    created_by_id: int = Field(foreign_key="app_user.id")
    kind: AssignmentKind = Field(sa_type=EnumString(AssignmentKind))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    due_on: date
    description: str = Field(max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)


class RecipientStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    declined = "declined"
    done = "done"


class AssignmentRecipient(SQLModel, table=True):
    """One instructor's line in an assignment's ledger."""

    __tablename__ = "assignment_recipient"

    assignment_id: int = Field(foreign_key="assignment.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    status: RecipientStatus = Field(
        default=RecipientStatus.open, sa_type=EnumString(RecipientStatus, length=10)
    )
    reason: str = Field(default="", max_length=300)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExpenseStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    returned = "returned"


class Expense(SQLModel, table=True):
    """A work expense (工作保障) an instructor records for the liaison to approve."""

    __tablename__ = "expense"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    category: str = Field(max_length=20)  # transport, meals, travel, insurance, phone
    amount_fen: int  # in fen: no rounding on sums
    spent_on: date
    note: str = Field(default="", max_length=200)
    receipt: str = Field(default="", max_length=200)  # a photo's file id
    status: ExpenseStatus = Field(
        default=ExpenseStatus.pending, sa_type=EnumString(ExpenseStatus, length=10)
    )
    reason: str = Field(default="", max_length=200)
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AssessmentScore(SQLModel, table=True):
    """The scores a liaison enters for the annual assessment: self-report and democratic
    evaluation, each 0–100."""

    __tablename__ = "assessment_score"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    year: int = Field(primary_key=True)
    self_score: float
    democratic_score: float
    entered_by_id: int = Field(foreign_key="app_user.id")
    entered_at: datetime = Field(sa_type=UTCDateTime)
