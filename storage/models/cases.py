"""Enterprises and bargaining cases: stages, reports, topics, meetings, representatives,
research data, sharing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from storage.models.base import Table
from storage.types import EnumString, Money, UTCDateTime


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


class Enterprise(Table, table=True):
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


class BargainingCase(Table, table=True):
    """One round of collective bargaining, from preparation to the contract's end."""

    __tablename__ = "bargaining_case"
    # The case list's order: a page is read off the index, not sorted from the whole subtree.
    __table_args__ = (sa.Index("ix_bargaining_case_recent", "updated_at", "id"),)

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
    # 公示: the contract in force published to all staff, when and how.
    published_on: date | None = None
    published_how: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    # The costing's proposals and the figures it was given (bot/services/costing.py).
    costing: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CaseEnterprise(Table, table=True):
    """The enterprises a case covers (several for industry-level and regional cases)."""

    __tablename__ = "case_enterprise"

    case_id: int = Field(foreign_key="bargaining_case.id", primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", primary_key=True, index=True)


class StageEvent(Table, table=True):
    """Each stage change with the day it happened and who recorded it."""

    __tablename__ = "stage_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    from_stage: Stage | None = Field(default=None, sa_type=EnumString(Stage))
    to_stage: Stage = Field(sa_type=EnumString(Stage))
    on: date
    by_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime)
    # The labour administration's objection (reasons, the articles named) when a filed
    # contract goes back to negotiating.
    note: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})


class ReportStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"


class ProblemReport(Table, table=True):
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


class ReportMessage(Table, table=True):
    """A message in a major-problem report's thread: the liaison's instructions, the
    instructor's answers; both see the whole thread."""

    __tablename__ = "report_message"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="problem_report.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    text: str = Field(max_length=2000)
    at: datetime = Field(sa_type=UTCDateTime)


class TopicStatus(StrEnum):
    proposed = "proposed"
    countered = "countered"
    tentative = "tentative"  # tentatively agreed
    agreed = "agreed"
    dropped = "dropped"


class CaseTopic(Table, table=True):
    """A contract topic on a case (Art. 8's fifteen, or a custom one) and where it stands."""

    __tablename__ = "case_topic"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    key: str = Field(max_length=20)  # a clause library section of the case's kind, or "custom"
    title: str = Field(default="", max_length=50)  # for custom topics
    our_demand: str = Field(default="", max_length=2000)  # our clause text, one article a line
    their_position: str = Field(default="", max_length=2000)
    status: TopicStatus = Field(sa_type=EnumString(TopicStatus))
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # The model variant the clause started from, and the text both sides agreed (frozen).
    variant: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    agreed_text: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    agreed_round: int | None = None
    agreed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    agreed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # 初步一致 (a tentative agreement) stands on both chiefs' sign-off: who, and when.
    ta_chiefs: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    ta_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TopicEvent(Table, table=True):
    """A topic's history: every change of status, demand or position, by round."""

    __tablename__ = "topic_event"

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="case_topic.id", index=True)
    round_no: int | None = None
    status: TopicStatus = Field(sa_type=EnumString(TopicStatus))
    our_demand: str = Field(default="", max_length=2000)
    their_position: str = Field(default="", max_length=2000)
    agreed_text: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    signed_by: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    by_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime)


class TopicPackage(Table, table=True):
    """Several topics put across the table together, by one side: each stands only with the
    others (一揽子方案). The topics' texts are their own passes (TopicEvent); this records
    that they go as one, after which meeting, and on what terms."""

    __tablename__ = "topic_package"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="bargaining_case.id", index=True)
    round_no: int | None = None
    side: str = Field(max_length=6)  # ours, theirs
    topic_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    note: str = Field(default="", max_length=500)
    by_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime)


class NegotiationRound(Table, table=True):
    """One logged negotiation meeting (协商会议)."""

    __tablename__ = "negotiation_round"
    # The assessment counts each instructor's meetings of a year: person, then time.
    __table_args__ = (sa.Index("ix_negotiation_round_by", "created_by_id", "held_at"),)

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


class RoundRevision(Table, table=True):
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


class CaseRepresentative(Table, table=True):
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


class EnterpriseFinance(Table, table=True):
    """An enterprise's figures for one year (调查研究), money in units of 10,000 yuan (万元)."""

    __tablename__ = "enterprise_finance"

    enterprise_id: int = Field(foreign_key="enterprise.id", primary_key=True)
    year: int = Field(primary_key=True)
    # Accounts in 万元, the average wage in yuan a month: exact decimals (storage/types.py).
    revenue: Decimal = Field(sa_type=Money(14, 2))
    profit: Decimal = Field(sa_type=Money(14, 2))
    labour_cost: Decimal = Field(sa_type=Money(14, 2))
    wage_bill: Decimal = Field(sa_type=Money(14, 2))
    average_wage: Decimal = Field(sa_type=Money(12, 2))
    headcount: int
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WageGuideline(Table, table=True):
    """A region's wage guideline (工资指导线) and reference figures for one year."""

    __tablename__ = "wage_guideline"

    org_id: int = Field(foreign_key="org.id", primary_key=True)
    year: int = Field(primary_key=True)
    baseline_pct: Decimal = Field(sa_type=Money(5, 2))
    upper_pct: Decimal = Field(sa_type=Money(5, 2))
    lower_pct: Decimal = Field(sa_type=Money(5, 2))
    minimum_wage: Decimal = Field(sa_type=Money(12, 2))  # yuan per month
    cpi_pct: Decimal = Field(sa_type=Money(5, 2))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CaseShare(Table, table=True):
    """Another instructor the case's owner lets see the case."""

    __tablename__ = "case_share"

    case_id: int = Field(foreign_key="bargaining_case.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
