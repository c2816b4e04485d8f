"""Major-problem reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from storage.models import ProblemReport, ReportMessage, ReportStatus, User
from storage.repositories.base import ModelRepo


class ReportRepo(ModelRepo[ProblemReport]):
    model = ProblemReport

    async def say(self, message: ReportMessage) -> ReportMessage:
        self.session.add(message)
        await self.session.flush()
        return message

    async def thread(self, report_id: int) -> Sequence[tuple[ReportMessage, User]]:
        """The report's messages, oldest first, each with its author."""
        stmt = (
            select(ReportMessage, User)
            .join(User, col(User.id) == col(ReportMessage.author_id))
            .where(ReportMessage.report_id == report_id)
            .order_by(col(ReportMessage.id))
        )
        return [(m, u) for m, u in (await self.session.execute(stmt)).all()]

    async def of_case(self, case_id: int) -> Sequence[ProblemReport]:
        stmt = select(ProblemReport).where(ProblemReport.case_id == case_id)
        return (await self.session.execute(stmt)).scalars().all()

    async def by_reporter(self, user_id: int, limit: int = 10) -> Sequence[ProblemReport]:
        stmt = (
            select(ProblemReport)
            .where(ProblemReport.reporter_id == user_id)
            .order_by(col(ProblemReport.created_at).desc())
            .limit(limit)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def claim_for_escalation(
        self, created_before: datetime, at: datetime
    ) -> Sequence[ProblemReport]:
        """Open, not yet escalated reports older than the limit, claimed by this process:
        the conditional update makes two processes escalate each report once."""
        stmt = select(ProblemReport.id).where(
            ProblemReport.status == ReportStatus.open,
            col(ProblemReport.escalated_at).is_(None),
            col(ProblemReport.created_at) < created_before,
        )
        claimed = []
        for report_id in (await self.session.execute(stmt)).scalars().all():
            result = await self.session.execute(
                update(ProblemReport)
                .where(
                    col(ProblemReport.id) == report_id, col(ProblemReport.escalated_at).is_(None)
                )
                .values(escalated_at=at)
                .execution_options(synchronize_session="fetch")
            )
            if (result.rowcount or 0) == 1:  # type: ignore[attr-defined]
                report = await self.get(report_id)
                assert report is not None
                claimed.append(report)
        return claimed
