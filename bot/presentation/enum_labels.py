"""Every stored enum's name for people: one label prefix per enum, so a label is found from
the value itself (`ui.enum(case.stage)`), never from a key spelled at the call site.
tests/test_rendering.py checks that every member of every enum has its label in every locale."""

from __future__ import annotations

from enum import StrEnum

from storage.models import (
    AssignmentKind,
    BroadcastStatus,
    CaseType,
    CongressStatus,
    DeliveryStatus,
    ExpenseStatus,
    HiringRoute,
    OrgLevel,
    ProfileStatus,
    RecipientStatus,
    ReminderStatus,
    ReportStatus,
    Role,
    Side,
    Stage,
    SurveyStatus,
    TopicStatus,
    TrainingKind,
)

PREFIXES: dict[type[StrEnum], str] = {
    AssignmentKind: "assignment_kind",
    BroadcastStatus: "broadcast",
    CaseType: "type",
    DeliveryStatus: "delivery",
    ExpenseStatus: "expense_status",
    HiringRoute: "route",
    OrgLevel: "level",
    ProfileStatus: "status",
    RecipientStatus: "assignment_status",
    ReminderStatus: "reminder_status",
    ReportStatus: "report",
    Role: "role",
    Side: "side",
    Stage: "stage",
    SurveyStatus: "survey_status",
    CongressStatus: "congress_status",
    TopicStatus: "topic_status",
    TrainingKind: "training_kind",
}


def key(member: StrEnum) -> str:
    """The label key of an enum member: `labels.stage_signed`."""
    return f"labels.{PREFIXES[type(member)]}_{member.value}"
