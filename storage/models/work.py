"""Reminders, documents, duties, trainings, supervision, broadcasts, tasks, expenses and
assessment scores."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from storage.models.base import Table
from storage.types import EnumString, UTCDateTime


class ReminderStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a process; back to pending if its lease runs out
    sent = "sent"
    failed = "failed"
    blocked = "blocked"  # the recipient blocked the bot
    cancelled = "cancelled"


class Reminder(Table, table=True):
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


class CaseDocument(Table, table=True):
    """A generated Word file: its type, version, who made it when, the answers it was built
    from, and the file itself, so any version can be sent again."""

    __tablename__ = "case_document"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "kind", "version", name="uq_case_document_version"),
        sa.Index("ix_case_document_by", "created_by_id", "created_at"),  # assessment
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


class Duty(Table, table=True):
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


class Training(Table, table=True):
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


class TrainingInvite(Table, table=True):
    """One instructor invited to a training: their answer, and whether they attended."""

    __tablename__ = "training_invite"

    training_id: int = Field(foreign_key="training.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    response: str = Field(default="pending", max_length=10)  # pending, attend, cannot
    reason: str = Field(default="", max_length=200)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    marked_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class SupervisionCheck(Table, table=True):
    """A performance supervision visit (履约监督检查) of a contract in force."""

    __tablename__ = "supervision_check"
    __table_args__ = (sa.Index("ix_supervision_check_by", "created_by_id", "finished_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    scheduled_on: date
    team: str = Field(max_length=200)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CheckItem(Table, table=True):
    """One checklist area of a visit: pass, problem or not applicable, with a note or photo."""

    __tablename__ = "check_item"

    check_id: int = Field(foreign_key="supervision_check.id", primary_key=True)
    area: str = Field(max_length=20, primary_key=True)
    result: str = Field(max_length=10)  # pass, problem, na
    note: str = Field(default="", max_length=500)
    photo: str = Field(default="", max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)


class Rectification(Table, table=True):
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


class Broadcast(Table, table=True):
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


class BroadcastDelivery(Table, table=True):
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


class Assignment(Table, table=True):
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


class AssignmentRecipient(Table, table=True):
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


class Expense(Table, table=True):
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


class AssessmentScore(Table, table=True):
    """The scores a liaison enters for the annual assessment: self-report and democratic
    evaluation, each 0–100."""

    __tablename__ = "assessment_score"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    year: int = Field(primary_key=True)
    self_score: float
    democratic_score: float
    entered_by_id: int = Field(foreign_key="app_user.id")
    entered_at: datetime = Field(sa_type=UTCDateTime)


class WorkMark(Table, table=True):
    """How many times a person's counted work has changed (storage/marks.py bumps it in the
    transaction that changes it; person 0 stands for everyone). A tally counted at another
    version is out of date."""

    __tablename__ = "work_mark"

    user_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = 0


class WorkTally(Table, table=True):
    """One person's assessment indicators for one year, counted from the records at
    `version` (their WorkMark's plus everyone's) over [since, until): read instead of counting
    a year of everyone's work on every press, counted again when either version moves."""

    __tablename__ = "work_tally"

    user_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    since: datetime = Field(sa_type=UTCDateTime)
    until: datetime = Field(sa_type=UTCDateTime)
    version: int
    counts: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)  # indicator → n
    response_hours: float = 0.0  # the sum over the answered assignments
    responses: int = 0
