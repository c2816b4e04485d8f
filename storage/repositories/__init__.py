"""Repositories by domain: queries and writes on one session. They flush when they need an id,
and never commit: the unit of work (storage/uow.py) does that once per update."""

from __future__ import annotations

from storage.repositories.base import Repo, random_id
from storage.repositories.cases import (
    CaseRepo,
    DocumentRepo,
    EnterpriseRepo,
    RepresentativeRepo,
    ResearchRepo,
    RoundRepo,
    TopicRepo,
)
from storage.repositories.congress import CongressRepo
from storage.repositories.outreach import AssignmentRepo, BroadcastJob, BroadcastRepo
from storage.repositories.people import (
    InviteRepo,
    OrgRepo,
    Person,
    ProfileRepo,
    UserRepo,
    instructor_ids_under,
    instructors_in,
)
from storage.repositories.reminders import DutyRepo, ReminderRepo
from storage.repositories.reports import ReportRepo
from storage.repositories.runtime import FsmRepo, SignInRepo, UpdateLogRepo
from storage.repositories.surveys import ReleasedAnswer, SurveyRepo
from storage.repositories.training import SupervisionRepo, TrainingRepo
from storage.repositories.work import (
    COUNTED,
    ActivityRepo,
    AssessmentRepo,
    ExpenseRepo,
    Standing,
    Tally,
)

__all__ = [
    "COUNTED",
    "ActivityRepo",
    "AssessmentRepo",
    "AssignmentRepo",
    "BroadcastJob",
    "BroadcastRepo",
    "CaseRepo",
    "CongressRepo",
    "DocumentRepo",
    "DutyRepo",
    "EnterpriseRepo",
    "ExpenseRepo",
    "FsmRepo",
    "InviteRepo",
    "OrgRepo",
    "Person",
    "ProfileRepo",
    "ReleasedAnswer",
    "ReminderRepo",
    "Repo",
    "ReportRepo",
    "RepresentativeRepo",
    "ResearchRepo",
    "RoundRepo",
    "SignInRepo",
    "Standing",
    "SupervisionRepo",
    "SurveyRepo",
    "Tally",
    "TopicRepo",
    "TrainingRepo",
    "UpdateLogRepo",
    "UserRepo",
    "instructor_ids_under",
    "instructors_in",
    "random_id",
]
