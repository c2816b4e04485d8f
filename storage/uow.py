"""The unit of work: the one place that commits."""

from __future__ import annotations

from contextvars import ContextVar, Token
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import scrub
from storage.repositories import (
    ActivityRepo,
    AssessmentRepo,
    AssignmentRepo,
    BroadcastRepo,
    CaseRepo,
    CongressRepo,
    DocumentRepo,
    DutyRepo,
    EnterpriseRepo,
    ExpenseRepo,
    FsmRepo,
    InviteRepo,
    OrgRepo,
    ProfileRepo,
    ReminderRepo,
    ReportRepo,
    RepresentativeRepo,
    ResearchRepo,
    RoundRepo,
    SignInRepo,
    SupervisionRepo,
    SurveyRepo,
    TopicRepo,
    TrainingRepo,
    UpdateLogRepo,
    UserRepo,
)

_current: ContextVar[UnitOfWork | None] = ContextVar("xieshang_uow", default=None)


def current_uow() -> UnitOfWork | None:
    """The unit of work of the update being handled, if any (used by the FSM storage so a
    form step and the records it changes commit together)."""
    return _current.get()


class UnitOfWork:
    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._token: Token[UnitOfWork | None] | None = None
        self._scrub = False

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.orgs = OrgRepo(self.session)
        self.users = UserRepo(self.session)
        self.invites = InviteRepo(self.session)
        self.profiles = ProfileRepo(self.session)
        self.updates = UpdateLogRepo(self.session)
        self.sign_ins = SignInRepo(self.session)
        self.fsm = FsmRepo(self.session)
        self.enterprises = EnterpriseRepo(self.session)
        self.cases = CaseRepo(self.session)
        self.reports = ReportRepo(self.session)
        self.topics = TopicRepo(self.session)
        self.rounds = RoundRepo(self.session)
        self.representatives = RepresentativeRepo(self.session)
        self.research = ResearchRepo(self.session)
        self.reminders = ReminderRepo(self.session)
        self.surveys = SurveyRepo(self.session)
        self.congress = CongressRepo(self.session)
        self.documents = DocumentRepo(self.session)
        self.trainings = TrainingRepo(self.session)
        self.supervision = SupervisionRepo(self.session)
        self.duties = DutyRepo(self.session)
        self.broadcasts = BroadcastRepo(self.session)
        self.assignments = AssignmentRepo(self.session)
        self.activity = ActivityRepo(self.session)
        self.expenses = ExpenseRepo(self.session)
        self.assessments = AssessmentRepo(self.session)
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()
            if self._token is not None:
                _current.reset(self._token)
                self._token = None

    async def commit(self) -> None:
        await self.session.commit()
        if self._scrub:
            self._scrub = False
            engine = self.session.bind
            assert isinstance(engine, AsyncEngine)
            await scrub(engine)

    def scrub_after_commit(self) -> None:
        """Rows that must leave no trace were deleted: scrub the files once committed."""
        self._scrub = True

    async def rollback(self) -> None:
        await self.session.rollback()
        self.fsm.forget()  # the rollback expired the records it held
