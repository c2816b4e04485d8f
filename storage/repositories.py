"""Repositories: queries and writes on one session. They flush when they need an id,
and never commit: the unit of work does that once per update."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import delete, func, insert, or_, tuple_, update
from sqlalchemy import true as sa_true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlmodel import col, select

from storage.models import (
    AssessmentScore,
    Assignment,
    AssignmentRecipient,
    BargainingCase,
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    CaseDocument,
    CaseEnterprise,
    CaseRepresentative,
    CaseShare,
    CaseTopic,
    CheckItem,
    Duty,
    Enterprise,
    EnterpriseFinance,
    Expense,
    FsmRecord,
    InstructorProfile,
    Invite,
    InviteAttempt,
    NegotiationRound,
    Org,
    ProblemReport,
    ProcessedUpdate,
    ProfileStatus,
    Rectification,
    Reminder,
    ReminderStatus,
    ReportStatus,
    Role,
    RoundRevision,
    Stage,
    StageEvent,
    SupervisionCheck,
    Survey,
    SurveyDay,
    SurveyDraft,
    SurveyPending,
    SurveyPick,
    SurveyResponse,
    SurveyStatus,
    SurveyVoter,
    TopicEvent,
    Training,
    TrainingInvite,
    User,
    WageGuideline,
)


def random_id() -> int:
    """A row id that says nothing of when the row was written."""
    return secrets.randbelow(2**62) + 1


@dataclass(frozen=True)
class ReleasedAnswer:
    """An answer as it goes into the results."""

    rise: int | None
    stratum: str | None
    comment: str
    picks: list[tuple[int, int]]  # (rank, item)


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class OrgRepo(_Repo):
    async def add(self, org: Org) -> Org:
        self.session.add(org)
        await self.session.flush()
        assert org.id is not None
        parent_path = "/"
        if org.parent_id is not None:
            parent = await self.get(org.parent_id)
            assert parent is not None
            parent_path = parent.path
        org.path = f"{parent_path}{org.id}/"
        await self.session.flush()
        return org

    async def get(self, org_id: int) -> Org | None:
        return await self.session.get(Org, org_id)

    async def by_name(self, name: str) -> Org | None:
        stmt = select(Org).where(Org.name == name)
        return (await self.session.execute(stmt)).scalars().first()

    async def subtree(self, root: Org) -> Sequence[Org]:
        stmt = select(Org).where(col(Org.path).startswith(root.path)).order_by(col(Org.path))
        return (await self.session.execute(stmt)).scalars().all()

    async def all(self) -> Sequence[Org]:
        return (await self.session.execute(select(Org).order_by(col(Org.path)))).scalars().all()

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(Org))).scalar_one())


class UserRepo(_Repo):
    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        stmt = select(User).where(User.telegram_id == telegram_id)
        return (await self.session.execute(stmt)).scalars().first()

    async def instructors_under(self, path_prefix: str) -> Sequence[User]:
        stmt = (
            select(User)
            .join(Org, col(Org.id) == User.org_id)
            .where(
                col(Org.path).startswith(path_prefix),
                User.role == Role.instructor,
                col(User.active).is_(True),
            )
            .order_by(col(User.display_name))
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def members_under(self, path_prefix: str) -> Sequence[User]:
        """Active members (instructors and liaisons) of a union subtree."""
        stmt = (
            select(User)
            .join(Org, col(Org.id) == User.org_id)
            .where(col(Org.path).startswith(path_prefix), col(User.active).is_(True))
            .order_by(col(User.id))
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def instructors_any(self, path_prefix: str) -> Sequence[User]:
        """Instructors of a union subtree, active or not (the roster)."""
        stmt = (
            select(User)
            .join(Org, col(Org.id) == User.org_id)
            .where(col(Org.path).startswith(path_prefix), User.role == Role.instructor)
            .order_by(col(User.display_name))
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def active_instructors_per_org(self, path_prefix: str) -> dict[int, int]:
        """Active instructors with an approved profile, counted per union, in SQL."""
        found = await self.session.execute(
            select(User.org_id, func.count())
            .join(Org, col(Org.id) == User.org_id)
            .join(InstructorProfile, col(InstructorProfile.user_id) == col(User.id))
            .where(
                col(Org.path).startswith(path_prefix),
                User.role == Role.instructor,
                col(User.active).is_(True),
                col(InstructorProfile.status) == ProfileStatus.active,
            )
            .group_by(col(User.org_id))
        )
        return {int(org): int(n) for org, n in found.all()}

    async def with_role(self, role: Role) -> Sequence[User]:
        found = await self.session.execute(
            select(User).where(User.role == role, col(User.active).is_(True))
        )
        return found.scalars().all()

    async def liaisons_of(self, org_id: int) -> Sequence[User]:
        stmt = select(User).where(
            User.org_id == org_id,
            User.role == Role.liaison,
            col(User.active).is_(True),
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def set_blocked(self, telegram_id: int, at: datetime | None) -> None:
        await self.session.execute(
            update(User)
            .where(col(User.telegram_id) == telegram_id)
            .values(blocked_bot=at is not None, blocked_at=at)
        )


class InviteRepo(_Repo):
    async def add(self, invite: Invite) -> Invite:
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def by_hash(self, code_hash: str) -> Invite | None:
        stmt = select(Invite).where(Invite.code_hash == code_hash)
        return (await self.session.execute(stmt)).scalars().first()

    async def get(self, invite_id: int) -> Invite | None:
        return await self.session.get(Invite, invite_id)

    async def claim(self, invite_id: int, at: datetime) -> bool:
        """Mark the invite used if nobody did first; the conditional update makes it atomic."""
        result = await self.session.execute(
            update(Invite)
            .where(col(Invite.id) == invite_id, col(Invite.used_at).is_(None))
            .values(used_at=at)
            .execution_options(synchronize_session="fetch")
        )
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def open_created_by(self, user_id: int, now: datetime) -> Sequence[Invite]:
        stmt = (
            select(Invite)
            .where(
                Invite.created_by_id == user_id,
                col(Invite.used_at).is_(None),
                col(Invite.revoked_at).is_(None),
                col(Invite.expires_at) > now,
            )
            .order_by(col(Invite.created_at).desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def record_failure(self, telegram_id: int, at: datetime) -> None:
        self.session.add(InviteAttempt(telegram_id=telegram_id, at=at))
        await self.session.flush()

    async def failures_since(self, telegram_id: int, since: datetime) -> int:
        stmt = select(func.count()).where(
            InviteAttempt.telegram_id == telegram_id, col(InviteAttempt.at) >= since
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def prune_failures(self, before: datetime) -> None:
        await self.session.execute(delete(InviteAttempt).where(col(InviteAttempt.at) < before))


class ProfileRepo(_Repo):
    async def by_user(self, user_id: int) -> InstructorProfile | None:
        stmt = select(InstructorProfile).where(InstructorProfile.user_id == user_id)
        return (await self.session.execute(stmt)).scalars().first()

    async def get(self, profile_id: int) -> InstructorProfile | None:
        return await self.session.get(InstructorProfile, profile_id)

    async def save(self, profile: InstructorProfile) -> InstructorProfile:
        self.session.add(profile)
        await self.session.flush()
        return profile

    async def pending_in(self, org_paths_prefix: str) -> Sequence[tuple[InstructorProfile, User]]:
        stmt = (
            select(InstructorProfile, User)
            .join(User, col(User.id) == InstructorProfile.user_id)
            .join(Org, col(Org.id) == User.org_id)
            .where(
                InstructorProfile.status == ProfileStatus.pending_approval,
                col(Org.path).startswith(org_paths_prefix),
            )
            .order_by(col(InstructorProfile.created_at))
        )
        return [(p, u) for p, u in (await self.session.execute(stmt)).all()]


class UpdateLogRepo(_Repo):
    async def claim(self, update_id: int, at: datetime) -> bool:
        """Record the update id in this transaction; False when it was handled before."""
        insert = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        stmt = (
            insert(ProcessedUpdate)
            .values(update_id=update_id, processed_at=at)
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        result = await self.session.execute(stmt)
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def prune(self, before: datetime) -> None:
        await self.session.execute(
            delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
        )

    async def last(self) -> int:
        """The highest update id handled (0: none)."""
        found = await self.session.execute(select(func.max(col(ProcessedUpdate.update_id))))
        return int(found.scalar_one() or 0)


class FsmRepo(_Repo):
    """Form state by key. A step reads its state several times (filters, get_data,
    update_data); the records read are held here for the unit of work, absent ones too,
    so each key costs one query. (The session's identity map holds objects weakly.)"""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._held: dict[str, FsmRecord | None] = {}

    async def get(self, key: str) -> FsmRecord | None:
        if key not in self._held:
            self._held[key] = await self.session.get(FsmRecord, key)
        return self._held[key]

    def forget(self) -> None:
        self._held.clear()

    async def put(self, key: str, at: datetime, **values: object) -> None:
        record = await self.get(key)
        if record is None:
            record = FsmRecord(key=key, updated_at=at)
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_at = at
        if record.state is None and not record.data:
            if record in self.session:
                await self.session.delete(record)
            self._held[key] = None
        else:
            self.session.add(record)
            self._held[key] = record
        await self.session.flush()


class EnterpriseRepo(_Repo):
    async def add(self, enterprise: Enterprise) -> Enterprise:
        self.session.add(enterprise)
        await self.session.flush()
        return enterprise

    async def get(self, enterprise_id: int) -> Enterprise | None:
        return await self.session.get(Enterprise, enterprise_id)

    async def by_code(self, credit_code: str) -> Enterprise | None:
        stmt = select(Enterprise).where(Enterprise.credit_code == credit_code)
        return (await self.session.execute(stmt)).scalars().first()

    async def search(
        self, path_prefix: str, fragment: str, code: str | None, limit: int = 20
    ) -> Sequence[Enterprise]:
        escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = (
            select(Enterprise)
            .join(Org, col(Org.id) == Enterprise.org_id)
            .where(
                col(Org.path).startswith(path_prefix),
                or_(
                    col(Enterprise.name).contains(escaped, autoescape=False, escape="\\"),
                    col(Enterprise.credit_code) == (code or ""),
                ),
            )
            .order_by(col(Enterprise.name))
            .limit(limit)
        )
        return (await self.session.execute(stmt)).scalars().all()


class CaseRepo(_Repo):
    async def in_stages(self, stages: Sequence[Stage]) -> Sequence[BargainingCase]:
        found = await self.session.execute(
            select(BargainingCase).where(col(BargainingCase.stage).in_(list(stages)))
        )
        return found.scalars().all()

    async def add(self, case: BargainingCase, enterprise_ids: Sequence[int]) -> BargainingCase:
        self.session.add(case)
        await self.session.flush()
        assert case.id is not None
        for enterprise_id in enterprise_ids:
            self.session.add(CaseEnterprise(case_id=case.id, enterprise_id=enterprise_id))
        await self.session.flush()
        return case

    async def get(self, case_id: int) -> BargainingCase | None:
        return await self.session.get(BargainingCase, case_id)

    async def enterprises_of(self, case_id: int) -> Sequence[Enterprise]:
        stmt = (
            select(Enterprise)
            .join(CaseEnterprise, col(CaseEnterprise.enterprise_id) == Enterprise.id)
            .where(CaseEnterprise.case_id == case_id)
            .order_by(col(Enterprise.name))
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def owned_by(self, user_id: int) -> Sequence[BargainingCase]:
        stmt = (
            select(BargainingCase)
            .where(BargainingCase.owner_id == user_id)
            .order_by(col(BargainingCase.updated_at).desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def in_subtree(self, path_prefix: str) -> Sequence[BargainingCase]:
        stmt = (
            select(BargainingCase)
            .join(Org, col(Org.id) == BargainingCase.org_id)
            .where(col(Org.path).startswith(path_prefix))
            .order_by(col(BargainingCase.updated_at).desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def add_enterprise(self, case_id: int, enterprise_id: int) -> None:
        self.session.add(CaseEnterprise(case_id=case_id, enterprise_id=enterprise_id))
        await self.session.flush()

    async def shared_with(self, user_id: int) -> Sequence[BargainingCase]:
        stmt = (
            select(BargainingCase)
            .join(CaseShare, col(CaseShare.case_id) == BargainingCase.id)
            .where(CaseShare.user_id == user_id)
            .order_by(col(BargainingCase.updated_at).desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def is_shared(self, case_id: int, user_id: int) -> bool:
        return await self.session.get(CaseShare, (case_id, user_id)) is not None

    async def shares(self, case_id: int) -> Sequence[User]:
        stmt = (
            select(User)
            .join(CaseShare, col(CaseShare.user_id) == User.id)
            .where(CaseShare.case_id == case_id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def set_share(self, case_id: int, user_id: int, shared: bool, at: datetime) -> None:
        existing = await self.session.get(CaseShare, (case_id, user_id))
        if shared and existing is None:
            self.session.add(CaseShare(case_id=case_id, user_id=user_id, created_at=at))
        elif not shared and existing is not None:
            await self.session.delete(existing)
        await self.session.flush()

    async def add_event(self, event: StageEvent) -> None:
        self.session.add(event)
        await self.session.flush()

    async def events(self, case_id: int) -> Sequence[StageEvent]:
        stmt = select(StageEvent).where(StageEvent.case_id == case_id).order_by(col(StageEvent.id))
        return (await self.session.execute(stmt)).scalars().all()


class ReportRepo(_Repo):
    async def add(self, report: ProblemReport) -> ProblemReport:
        self.session.add(report)
        await self.session.flush()
        return report

    async def get(self, report_id: int) -> ProblemReport | None:
        return await self.session.get(ProblemReport, report_id)

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


class TopicRepo(_Repo):
    async def add(self, topic: CaseTopic) -> CaseTopic:
        self.session.add(topic)
        await self.session.flush()
        return topic

    async def get(self, topic_id: int) -> CaseTopic | None:
        return await self.session.get(CaseTopic, topic_id)

    async def of_case(self, case_id: int) -> Sequence[CaseTopic]:
        stmt = select(CaseTopic).where(CaseTopic.case_id == case_id).order_by(col(CaseTopic.id))
        return (await self.session.execute(stmt)).scalars().all()

    async def record(self, event: TopicEvent) -> None:
        self.session.add(event)
        await self.session.flush()

    async def events_of_case(self, case_id: int) -> Sequence[tuple[TopicEvent, CaseTopic]]:
        stmt = (
            select(TopicEvent, CaseTopic)
            .join(CaseTopic, col(CaseTopic.id) == TopicEvent.topic_id)
            .where(CaseTopic.case_id == case_id)
        )
        return [(e, t) for e, t in (await self.session.execute(stmt)).all()]

    async def history(self, topic_id: int) -> Sequence[TopicEvent]:
        stmt = (
            select(TopicEvent).where(TopicEvent.topic_id == topic_id).order_by(col(TopicEvent.id))
        )
        return (await self.session.execute(stmt)).scalars().all()


class RoundRepo(_Repo):
    async def add(self, negotiation_round: NegotiationRound) -> NegotiationRound:
        self.session.add(negotiation_round)
        await self.session.flush()
        return negotiation_round

    async def get(self, round_id: int) -> NegotiationRound | None:
        return await self.session.get(NegotiationRound, round_id)

    async def of_case(self, case_id: int) -> Sequence[NegotiationRound]:
        stmt = (
            select(NegotiationRound)
            .where(NegotiationRound.case_id == case_id)
            .order_by(col(NegotiationRound.round_no))
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def last_number(self, case_id: int) -> int:
        stmt = select(func.max(NegotiationRound.round_no)).where(
            NegotiationRound.case_id == case_id
        )
        return int((await self.session.execute(stmt)).scalar_one() or 0)

    async def revise(self, revision: RoundRevision) -> None:
        self.session.add(revision)
        await self.session.flush()

    async def revisions(self, round_id: int) -> Sequence[RoundRevision]:
        stmt = (
            select(RoundRevision)
            .where(RoundRevision.round_id == round_id)
            .order_by(col(RoundRevision.id))
        )
        return (await self.session.execute(stmt)).scalars().all()


class RepresentativeRepo(_Repo):
    async def add(self, representative: CaseRepresentative) -> CaseRepresentative:
        self.session.add(representative)
        await self.session.flush()
        return representative

    async def get(self, representative_id: int) -> CaseRepresentative | None:
        return await self.session.get(CaseRepresentative, representative_id)

    async def of_case(self, case_id: int) -> Sequence[CaseRepresentative]:
        stmt = (
            select(CaseRepresentative)
            .where(CaseRepresentative.case_id == case_id)
            .order_by(
                col(CaseRepresentative.side),
                col(CaseRepresentative.chief).desc(),
                col(CaseRepresentative.id),
            )
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def remove(self, representative: CaseRepresentative) -> None:
        await self.session.delete(representative)
        await self.session.flush()


class ResearchRepo(_Repo):
    async def finance(self, enterprise_id: int, year: int) -> EnterpriseFinance | None:
        return await self.session.get(EnterpriseFinance, (enterprise_id, year))

    async def guideline(self, org_id: int, year: int) -> WageGuideline | None:
        return await self.session.get(WageGuideline, (org_id, year))

    async def save(self, record: EnterpriseFinance | WageGuideline) -> None:
        await self.session.merge(record)
        await self.session.flush()


class ReminderRepo(_Repo):
    async def upsert(self, reminder: Reminder) -> Reminder:
        """Create the reminder, or move a still-pending one with the same key to the new time."""
        existing = (
            (
                await self.session.execute(
                    select(Reminder).where(Reminder.idem_key == reminder.idem_key)
                )
            )
            .scalars()
            .first()
        )
        if existing is None:
            self.session.add(reminder)
            await self.session.flush()
            return reminder
        if existing.status in (ReminderStatus.pending, ReminderStatus.cancelled) and (
            existing.due_at != reminder.due_at or existing.status is ReminderStatus.cancelled
        ):
            existing.due_at = reminder.due_at
            existing.next_attempt_at = reminder.next_attempt_at
            existing.payload = reminder.payload
            existing.status = ReminderStatus.pending
            existing.attempts = 0
        return existing

    async def add_missing(self, planned: Sequence[Reminder]) -> int:
        """Store the planned reminders whose key is not stored yet: one read per 500 keys
        and one batched insert, so a tick planning for everyone holds the write lock
        briefly."""
        keys = [r.idem_key for r in planned]
        stored: set[str] = set()
        for start in range(0, len(keys), 500):
            stmt = select(Reminder.idem_key).where(
                col(Reminder.idem_key).in_(keys[start : start + 500])
            )
            stored.update((await self.session.execute(stmt)).scalars())
        missing = [r for r in planned if r.idem_key not in stored]
        self.session.add_all(missing)
        await self.session.flush()
        return len(missing)

    async def cancel_pending(self, key_prefix: str, keep: set[str]) -> int:
        stmt = (
            update(Reminder)
            .where(
                col(Reminder.idem_key).startswith(key_prefix),
                col(Reminder.status) == ReminderStatus.pending,
                col(Reminder.idem_key).not_in(keep) if keep else sa_true(),
            )
            .values(status=ReminderStatus.cancelled)
        )
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Reminder]:
        """Atomically take up to `limit` due reminders for this process.

        On PostgreSQL the candidate rows are locked with FOR UPDATE SKIP LOCKED, so two
        processes never take the same row; on SQLite the single writer makes the
        conditional UPDATE ... RETURNING atomic on its own.
        """
        candidates = (
            select(Reminder.id)
            .where(
                col(Reminder.status) == ReminderStatus.pending, col(Reminder.next_attempt_at) <= now
            )
            .order_by(col(Reminder.next_attempt_at))
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        # Only the id: a status test here would let SQLite scan every pending row through the
        # status index instead of looking the candidates up by key (9 ms at 100,000 pending).
        stmt = (
            update(Reminder)
            .where(col(Reminder.id).in_(candidates.scalar_subquery()))
            .values(status=ReminderStatus.sending, claimed_at=now)
            .returning(Reminder)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def release_stale(self, claimed_before: datetime) -> int:
        """Claims whose process died before finishing go back to pending."""
        stmt = (
            update(Reminder)
            .where(
                col(Reminder.status) == ReminderStatus.sending,
                col(Reminder.claimed_at) < claimed_before,
            )
            .values(status=ReminderStatus.pending, claimed_at=None)
        )
        return int((await self.session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]

    async def personal_of(self, recipient_id: int, limit: int) -> Sequence[Reminder]:
        """A member's own reminders still to come, soonest first."""
        found = await self.session.execute(
            select(Reminder)
            .where(
                Reminder.recipient_id == recipient_id,
                Reminder.kind == "personal",
                col(Reminder.status).in_([ReminderStatus.pending, ReminderStatus.sending]),
            )
            .order_by(col(Reminder.due_at))
            .limit(limit)
        )
        return found.scalars().all()

    async def statuses(self, prefix: str, suffix: str) -> dict[str, ReminderStatus]:
        found = await self.session.execute(
            select(Reminder.idem_key, Reminder.status).where(
                col(Reminder.idem_key).startswith(prefix), col(Reminder.idem_key).endswith(suffix)
            )
        )
        return {str(key): ReminderStatus(status) for key, status in found.all()}

    async def of_recipient(
        self, recipient_id: int, start: datetime, end: datetime
    ) -> Sequence[Reminder]:
        found = await self.session.execute(
            select(Reminder)
            .where(
                Reminder.recipient_id == recipient_id,
                col(Reminder.due_at) >= start,
                col(Reminder.due_at) < end,
            )
            .order_by(col(Reminder.due_at))
        )
        return found.scalars().all()

    async def undone(
        self, recipient_id: int, since: datetime, before: datetime
    ) -> Sequence[Reminder]:
        """Delivered in the window and not marked done (snoozed ones count as handled)."""
        found = await self.session.execute(
            select(Reminder)
            .where(
                Reminder.recipient_id == recipient_id,
                col(Reminder.status) == ReminderStatus.sent,
                col(Reminder.done_at).is_(None),
                col(Reminder.due_at) >= since,
                col(Reminder.due_at) < before,
            )
            .order_by(col(Reminder.due_at))
        )
        return found.scalars().all()

    async def get(self, reminder_id: int) -> Reminder | None:
        return await self.session.get(Reminder, reminder_id)


class SurveyRepo(_Repo):
    """Surveys and their anonymous answers. Every aggregate is one SQL query; nothing loads
    a survey's answers into Python except the export, which streams them."""

    async def add(self, survey: Survey) -> Survey:
        self.session.add(survey)
        await self.session.flush()
        return survey

    async def get(self, survey_id: int) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def by_token(self, token: str) -> Survey | None:
        found = await self.session.execute(select(Survey).where(Survey.token == token))
        return found.scalars().first()

    async def of_case(self, case_id: int) -> Sequence[Survey]:
        found = await self.session.execute(
            select(Survey).where(Survey.case_id == case_id).order_by(col(Survey.id).desc())
        )
        return found.scalars().all()

    async def delete(self, survey: Survey) -> None:
        await self.session.delete(survey)
        await self.session.flush()

    async def counts(self, survey_ids: Sequence[int]) -> dict[int, int]:
        """Answers submitted to each survey: released into the results, and pending."""
        if not survey_ids:
            return {}
        totals: dict[int, int] = {}
        for model in (SurveyResponse, SurveyPending):
            found = await self.session.execute(
                select(model.survey_id, func.count())
                .where(col(model.survey_id).in_(survey_ids))
                .group_by(col(model.survey_id))
            )
            for sid, n in found.all():
                totals[int(sid)] = totals.get(int(sid), 0) + int(n)
        return totals

    # ----- who answered, unfinished and pending answers -----
    async def has_voted(self, survey_id: int, tag: str) -> bool:
        found = await self.session.execute(
            select(SurveyVoter.tag).where(
                SurveyVoter.survey_id == survey_id, SurveyVoter.tag == tag
            )
        )
        return found.first() is not None

    async def add_voter(self, survey_id: int, tag: str) -> None:
        self.session.add(SurveyVoter(survey_id=survey_id, tag=tag))
        await self.session.flush()

    async def forget(self, survey_id: int) -> None:
        """Who answered, and every unfinished answer: gone once the survey closes."""
        for model in (SurveyVoter, SurveyDraft):
            await self.session.execute(delete(model).where(col(model.survey_id) == survey_id))

    async def draft(self, tag: str) -> SurveyDraft | None:
        return await self.session.get(SurveyDraft, tag)

    async def put_draft(self, tag: str, survey_id: int, sealed: bytes, today: date) -> None:
        found = await self.session.get(SurveyDraft, tag)
        if found is None:
            self.session.add(
                SurveyDraft(tag=tag, survey_id=survey_id, sealed=sealed, touched_on=today)
            )
        else:
            found.survey_id, found.sealed, found.touched_on = survey_id, sealed, today
        await self.session.flush()

    async def drop_draft(self, tag: str) -> bool:
        found = await self.session.execute(delete(SurveyDraft).where(col(SurveyDraft.tag) == tag))
        return bool(getattr(found, "rowcount", 0))

    async def prune_drafts(self, before: date) -> int:
        """Unfinished answers idle since before `before`, and those of closed surveys."""
        closed = select(Survey.id).where(col(Survey.erased).is_(True))
        found = await self.session.execute(
            delete(SurveyDraft).where(
                or_(col(SurveyDraft.touched_on) < before, col(SurveyDraft.survey_id).in_(closed))
            )
        )
        return int(getattr(found, "rowcount", 0) or 0)

    async def add_pending(self, survey_id: int, sealed: bytes) -> None:
        self.session.add(SurveyPending(id=random_id(), survey_id=survey_id, sealed=sealed))
        await self.session.flush()

    async def pending(self, survey_id: int) -> Sequence[SurveyPending]:
        found = await self.session.execute(
            select(SurveyPending).where(SurveyPending.survey_id == survey_id)
        )
        return found.scalars().all()

    async def pending_count(self, survey_id: int) -> int:
        found = await self.session.execute(
            select(func.count())
            .select_from(SurveyPending)
            .where(SurveyPending.survey_id == survey_id)
        )
        return int(found.scalar_one())

    async def release(
        self, survey_id: int, pending: Sequence[SurveyPending], answers: Sequence[ReleasedAnswer]
    ) -> None:
        """Move answers from pending into the results in the order given (the caller
        shuffles), each under a new random id."""
        for answer in answers:
            response = SurveyResponse(
                id=random_id(),
                survey_id=survey_id,
                rise=answer.rise,
                stratum=answer.stratum,
                comment=answer.comment,
            )
            self.session.add(response)
            await self.session.flush()
            self.session.add_all(
                SurveyPick(response_id=response.id, rank=rank, item=item, survey_id=survey_id)
                for rank, item in answer.picks
            )
        await self.session.execute(
            delete(SurveyPending).where(col(SurveyPending.id).in_([p.id for p in pending]))
        )
        await self.session.flush()

    async def count_day(self, survey_id: int, day: date) -> None:
        dialect = self.session.get_bind().dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = make(SurveyDay).values(survey_id=survey_id, day=day, answers=1)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["survey_id", "day"],
                set_={"answers": statement.excluded.answers + col(SurveyDay.answers)},
            )
        )

    # ----- aggregates -----
    async def total(self, survey_id: int) -> int:
        return (await self.counts([survey_id])).get(survey_id, 0)

    async def released(self, survey_id: int) -> int:
        found = await self.session.execute(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.survey_id == survey_id)
        )
        return int(found.scalar_one())

    async def per_day(self, survey_id: int) -> list[tuple[date, int]]:
        found = await self.session.execute(
            select(col(SurveyDay.day), col(SurveyDay.answers))
            .where(SurveyDay.survey_id == survey_id)
            .order_by(col(SurveyDay.day))
        )
        return [(day, int(n)) for day, n in found.all()]

    async def topic_scores(self, survey_id: int) -> dict[int, tuple[int, int, int]]:
        """item → (times chosen, rank-weighted score 3/2/1, times ranked first)."""
        rank = col(SurveyPick.rank)
        found = await self.session.execute(
            select(
                SurveyPick.item,
                func.sum(when((rank == 0, 1), else_=0)),
                func.sum(when((rank == 1, 3), (rank == 2, 2), (rank == 3, 1), else_=0)),
                func.sum(when((rank == 1, 1), else_=0)),
            )
            .where(SurveyPick.survey_id == survey_id)
            .group_by(col(SurveyPick.item))
        )
        return {int(item): (int(a), int(b), int(c)) for item, a, b, c in found.all()}

    async def strata(self, survey_id: int) -> dict[str | None, int]:
        found = await self.session.execute(
            select(SurveyResponse.stratum, func.count())
            .where(SurveyResponse.survey_id == survey_id)
            .group_by(col(SurveyResponse.stratum))
        )
        return {stratum: int(n) for stratum, n in found.all()}

    def _rises(self, survey_id: int, stratum: str | None) -> Any:
        query = select(SurveyResponse.rise).where(
            SurveyResponse.survey_id == survey_id, col(SurveyResponse.rise).is_not(None)
        )
        if stratum is not None:
            query = query.where(SurveyResponse.stratum == stratum)
        return query

    async def rise_count(self, survey_id: int, stratum: str | None = None) -> int:
        query = self._rises(survey_id, stratum).subquery()
        return int((await self.session.execute(select(func.count()).select_from(query))).one()[0])

    async def rise_at(self, survey_id: int, position: int, stratum: str | None = None) -> int:
        """The rise at `position` (0-based) in ascending order: one index seek."""
        query = self._rises(survey_id, stratum).order_by(col(SurveyResponse.rise))
        found = await self.session.execute(query.offset(position).limit(1))
        return int(found.scalar_one())

    async def rise_histogram(self, survey_id: int, width: int) -> dict[int, int]:
        """bucket number (rise // width) → answers."""
        bucket = (col(SurveyResponse.rise) // width).label("bucket")
        found = await self.session.execute(
            select(bucket, func.count())
            .where(SurveyResponse.survey_id == survey_id, col(SurveyResponse.rise).is_not(None))
            .group_by(bucket)
        )
        return {int(b or 0): int(n) for b, n in found.all()}

    async def comments(self, survey_id: int, limit: int) -> list[str]:
        found = await self.session.execute(
            select(SurveyResponse.comment)
            .where(SurveyResponse.survey_id == survey_id, SurveyResponse.comment != "")
            .order_by(func.length(SurveyResponse.comment).desc(), col(SurveyResponse.comment))
            .limit(limit)
        )
        return [str(c) for c in found.scalars().all()]

    async def stream_answers(
        self, survey_id: int
    ) -> AsyncIterator[tuple[SurveyResponse, list[tuple[int, int]]]]:
        """Every response with its picks, in an order unrelated to when it was given."""
        result = await self.session.stream(
            select(SurveyResponse, SurveyPick.rank, SurveyPick.item)
            .outerjoin(SurveyPick, col(SurveyPick.response_id) == col(SurveyResponse.id))
            .where(SurveyResponse.survey_id == survey_id)
            .order_by(col(SurveyResponse.comment), col(SurveyResponse.id))
        )
        current: SurveyResponse | None = None
        picks: list[tuple[int, int]] = []
        async for response, rank, item in result:
            if current is not None and response.id != current.id:
                yield current, picks
                picks = []
            current = response
            if rank is not None:
                picks.append((int(rank), int(item)))
        if current is not None:
            yield current, picks

    # ----- closing -----
    async def due_for_erasure(self, now: datetime) -> Sequence[Survey]:
        found = await self.session.execute(
            select(Survey).where(
                col(Survey.erased).is_(False),
                or_(
                    col(Survey.status) == SurveyStatus.closed,
                    (col(Survey.status) == SurveyStatus.published) & (col(Survey.closes_at) <= now),
                ),
            )
        )
        return found.scalars().all()


class DocumentRepo(_Repo):
    async def add(self, document: CaseDocument) -> CaseDocument:
        self.session.add(document)
        await self.session.flush()
        return document

    async def get(self, document_id: int) -> CaseDocument | None:
        return await self.session.get(CaseDocument, document_id)

    async def next_version(self, case_id: int, kind: str) -> int:
        found = await self.session.execute(
            select(func.max(CaseDocument.version)).where(
                CaseDocument.case_id == case_id, CaseDocument.kind == kind
            )
        )
        return int(found.scalar() or 0) + 1

    async def of_case(self, case_id: int) -> Sequence[CaseDocument]:
        """Newest first, without loading the files themselves."""
        found = await self.session.execute(
            select(CaseDocument)
            .options(defer(CaseDocument.content))  # type: ignore[arg-type]
            .where(CaseDocument.case_id == case_id)
            .order_by(col(CaseDocument.id).desc())
        )
        return found.scalars().all()


class TrainingRepo(_Repo):
    async def add(self, training: Training) -> Training:
        self.session.add(training)
        await self.session.flush()
        return training

    async def get(self, training_id: int) -> Training | None:
        return await self.session.get(Training, training_id)

    async def invite(self, invite: TrainingInvite) -> None:
        self.session.add(invite)
        await self.session.flush()

    async def invite_of(self, training_id: int, user_id: int) -> TrainingInvite | None:
        return await self.session.get(TrainingInvite, (training_id, user_id))

    async def invitees(self, training_id: int) -> list[tuple[User, TrainingInvite]]:
        found = await self.session.execute(
            select(User, TrainingInvite)
            .join(TrainingInvite, col(TrainingInvite.user_id) == col(User.id))
            .where(TrainingInvite.training_id == training_id)
            .order_by(col(User.display_name))
        )
        return [(u, i) for u, i in found.all()]

    async def in_subtree(self, path_prefix: str, since: datetime) -> Sequence[Training]:
        found = await self.session.execute(
            select(Training)
            .join(Org, col(Org.id) == col(Training.org_id))
            .where(col(Org.path).startswith(path_prefix), col(Training.starts_at) >= since)
            .order_by(col(Training.starts_at).desc())
            .limit(30)
        )
        return found.scalars().all()

    async def of_invitee(
        self, user_id: int, since: datetime
    ) -> list[tuple[Training, TrainingInvite]]:
        found = await self.session.execute(
            select(Training, TrainingInvite)
            .join(TrainingInvite, col(TrainingInvite.training_id) == col(Training.id))
            .where(TrainingInvite.user_id == user_id, col(Training.starts_at) >= since)
            .order_by(col(Training.starts_at).desc())
            .limit(30)
        )
        return [(t, i) for t, i in found.all()]

    async def hours(
        self, path_prefix: str, start: datetime, end: datetime, user_id: int | None = None
    ) -> dict[int, float]:
        """Hours of trainings attended (checked in or marked) per instructor, in SQL."""
        query = (
            select(TrainingInvite.user_id, func.sum(Training.hours))
            .join(Training, col(Training.id) == col(TrainingInvite.training_id))
            .join(Org, col(Org.id) == col(Training.org_id))
            .where(
                col(TrainingInvite.checked_in_at).is_not(None),
                col(Training.cancelled).is_(False),
                col(Training.starts_at) >= start,
                col(Training.starts_at) < end,
            )
            .group_by(col(TrainingInvite.user_id))
        )
        if path_prefix:
            query = query.where(col(Org.path).startswith(path_prefix))
        if user_id is not None:
            query = query.where(TrainingInvite.user_id == user_id)
        return {
            int(uid): float(total or 0) for uid, total in (await self.session.execute(query)).all()
        }


class SupervisionRepo(_Repo):
    async def add(self, check: SupervisionCheck) -> SupervisionCheck:
        self.session.add(check)
        await self.session.flush()
        return check

    async def get(self, check_id: int) -> SupervisionCheck | None:
        return await self.session.get(SupervisionCheck, check_id)

    async def of_case(self, case_id: int) -> Sequence[SupervisionCheck]:
        found = await self.session.execute(
            select(SupervisionCheck)
            .where(SupervisionCheck.case_id == case_id)
            .order_by(col(SupervisionCheck.scheduled_on).desc(), col(SupervisionCheck.id).desc())
        )
        return found.scalars().all()

    async def items(self, check_id: int) -> Sequence[CheckItem]:
        found = await self.session.execute(select(CheckItem).where(CheckItem.check_id == check_id))
        return found.scalars().all()

    async def item(self, check_id: int, area: str) -> CheckItem | None:
        return await self.session.get(CheckItem, (check_id, area))

    async def save_item(self, item: CheckItem) -> None:
        self.session.add(item)
        await self.session.flush()

    async def add_rectification(self, fix: Rectification) -> Rectification:
        self.session.add(fix)
        await self.session.flush()
        return fix

    async def rectification(self, rectification_id: int) -> Rectification | None:
        return await self.session.get(Rectification, rectification_id)

    async def rectifications(self, check_id: int) -> Sequence[Rectification]:
        found = await self.session.execute(
            select(Rectification)
            .where(Rectification.check_id == check_id)
            .order_by(col(Rectification.id))
        )
        return found.scalars().all()

    async def open_overdue(self, today: date) -> list[tuple[Rectification, SupervisionCheck]]:
        found = await self.session.execute(
            select(Rectification, SupervisionCheck)
            .join(SupervisionCheck, col(SupervisionCheck.id) == col(Rectification.check_id))
            .where(col(Rectification.closed_at).is_(None), col(Rectification.due_on) <= today)
        )
        return [(f, c) for f, c in found.all()]


class DutyRepo(_Repo):
    async def add_all(self, duties: Sequence[Duty]) -> None:
        """One batched insert (the first tick creates two duties per instructor)."""
        self.session.add_all(duties)
        await self.session.flush()

    async def all(self) -> Sequence[Duty]:
        return (await self.session.execute(select(Duty))).scalars().all()

    async def due(self, before: datetime) -> Sequence[Duty]:
        """Active duties whose next occurrence is unknown or comes before `before`."""
        found = await self.session.execute(
            select(Duty).where(
                col(Duty.active).is_(True),
                or_(col(Duty.next_at).is_(None), col(Duty.next_at) <= before),
            )
        )
        return found.scalars().all()


class BroadcastRepo(_Repo):
    async def add(self, broadcast: Broadcast) -> Broadcast:
        self.session.add(broadcast)
        await self.session.flush()
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def add_deliveries(self, broadcast_id: int, user_ids: Sequence[int]) -> None:
        if user_ids:
            await self.session.execute(
                insert(BroadcastDelivery),
                [{"broadcast_id": broadcast_id, "user_id": uid} for uid in user_ids],
            )

    async def of_author(self, user_id: int) -> Sequence[Broadcast]:
        found = await self.session.execute(
            select(Broadcast)
            .where(Broadcast.created_by_id == user_id)
            .order_by(col(Broadcast.id).desc())
            .limit(10)
        )
        return found.scalars().all()

    async def sending(self) -> Sequence[Broadcast]:
        found = await self.session.execute(
            select(Broadcast).where(col(Broadcast.status) == BroadcastStatus.sending)
        )
        return found.scalars().all()

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        found = await self.session.execute(
            select(BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .group_by(col(BroadcastDelivery.status))
        )
        return {str(status): int(n) for status, n in found.all()}

    async def release_stale(self, claimed_before: datetime) -> None:
        await self.session.execute(
            update(BroadcastDelivery)
            .where(
                col(BroadcastDelivery.status) == "sending",
                col(BroadcastDelivery.claimed_at) < claimed_before,
            )
            .values(status="pending", claimed_at=None)
        )

    async def claim(self, now: datetime, limit: int) -> list[tuple[int, int, int, str, str]]:
        """Take up to `limit` pending deliveries of broadcasts being sent: (broadcast id,
        user id, Telegram id, locale, text). Rows another process holds are skipped."""
        candidates = (
            select(BroadcastDelivery.broadcast_id, BroadcastDelivery.user_id)
            .join(Broadcast, col(Broadcast.id) == col(BroadcastDelivery.broadcast_id))
            .where(
                col(BroadcastDelivery.status) == "pending",
                col(Broadcast.status) == BroadcastStatus.sending,
            )
            .order_by(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id))
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(of=BroadcastDelivery, skip_locked=True)
        # One statement: atomic on SQLite's single writer, and on PostgreSQL the candidates
        # are locked, so two processes never take the same row.
        key = tuple_(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id))
        claimed = await self.session.execute(
            update(BroadcastDelivery)
            .where(key.in_(candidates), col(BroadcastDelivery.status) == "pending")
            .values(status="sending", claimed_at=now)
            .returning(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id))
            .execution_options(synchronize_session=False)
        )
        taken = [(int(b), int(u)) for b, u in claimed.all()]
        if not taken:
            return []
        found = await self.session.execute(
            select(BroadcastDelivery.broadcast_id, User, Broadcast.text)
            .join(User, col(User.id) == col(BroadcastDelivery.user_id))
            .join(Broadcast, col(Broadcast.id) == col(BroadcastDelivery.broadcast_id))
            .where(
                tuple_(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id)).in_(
                    taken
                )
            )
        )
        return [
            (int(b), user.id or 0, user.telegram_id, user.locale, str(text))
            for b, user, text in found.all()
        ]

    async def record_many(
        self, outcomes: Sequence[tuple[int, int, str]], now: datetime, max_attempts: int
    ) -> None:
        """Record many sends at once: one UPDATE per outcome, only on rows still claimed."""
        key = tuple_(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.user_id))
        claimed = col(BroadcastDelivery.status) == "sending"
        for outcome in ("sent", "blocked", "failed"):
            keys = [(b, u) for b, u, o in outcomes if o == outcome]
            if not keys:
                continue
            if outcome == "failed":
                tries = col(BroadcastDelivery.attempts) + 1
                values: dict[str, Any] = {
                    "attempts": tries,
                    "status": when((tries >= max_attempts, "failed"), else_="pending"),
                    "claimed_at": None,
                }
            else:
                values = {"status": outcome, "claimed_at": None}
                if outcome == "sent":
                    values["sent_at"] = now
            await self.session.execute(
                update(BroadcastDelivery).where(key.in_(keys), claimed).values(**values)
            )


class AssignmentRepo(_Repo):
    async def add(self, assignment: Assignment) -> Assignment:
        self.session.add(assignment)
        await self.session.flush()
        return assignment

    async def get(self, assignment_id: int) -> Assignment | None:
        return await self.session.get(Assignment, assignment_id)

    async def add_recipient(self, line: AssignmentRecipient) -> None:
        self.session.add(line)
        await self.session.flush()

    async def line(self, assignment_id: int, user_id: int) -> AssignmentRecipient | None:
        return await self.session.get(AssignmentRecipient, (assignment_id, user_id))

    async def lines(self, assignment_id: int) -> list[tuple[User, AssignmentRecipient]]:
        found = await self.session.execute(
            select(User, AssignmentRecipient)
            .join(AssignmentRecipient, col(AssignmentRecipient.user_id) == col(User.id))
            .where(AssignmentRecipient.assignment_id == assignment_id)
            .order_by(col(User.display_name))
        )
        return [(u, line) for u, line in found.all()]

    async def in_subtree(self, path_prefix: str) -> Sequence[Assignment]:
        found = await self.session.execute(
            select(Assignment)
            .join(Org, col(Org.id) == col(Assignment.org_id))
            .where(col(Org.path).startswith(path_prefix))
            .order_by(col(Assignment.id).desc())
            .limit(20)
        )
        return found.scalars().all()

    async def of_recipient(self, user_id: int) -> list[tuple[Assignment, AssignmentRecipient]]:
        found = await self.session.execute(
            select(Assignment, AssignmentRecipient)
            .join(AssignmentRecipient, col(AssignmentRecipient.assignment_id) == col(Assignment.id))
            .where(AssignmentRecipient.user_id == user_id)
            .order_by(col(Assignment.id).desc())
            .limit(20)
        )
        return [(a, line) for a, line in found.all()]


class ActivityRepo(_Repo):
    """What instructors did, counted per person in SQL, for work files and the assessment."""

    async def _count(self, query: Any) -> dict[int, float]:
        return {int(uid): float(n or 0) for uid, n in (await self.session.execute(query)).all()}

    async def indicators(
        self, user_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[str, dict[int, float]]:
        ids = list(user_ids)
        day_start, day_end = start.date(), end.date()
        survey_answers = (
            select(Survey.author_id, func.count(col(SurveyResponse.id)))
            .join(SurveyResponse, col(SurveyResponse.survey_id) == col(Survey.id))
            .where(
                col(Survey.author_id).in_(ids),
                col(Survey.published_at) >= start,
                col(Survey.published_at) < end,
            )
            .group_by(col(Survey.author_id))
        )
        closed_fixes = (
            select(SupervisionCheck.created_by_id, func.count(col(Rectification.id)))
            .join(Rectification, col(Rectification.check_id) == col(SupervisionCheck.id))
            .where(
                col(SupervisionCheck.created_by_id).in_(ids),
                col(Rectification.closed_at) >= start,
                col(Rectification.closed_at) < end,
            )
            .group_by(col(SupervisionCheck.created_by_id))
        )
        hours = (
            select(TrainingInvite.user_id, func.sum(Training.hours))
            .join(Training, col(Training.id) == col(TrainingInvite.training_id))
            .where(
                col(TrainingInvite.user_id).in_(ids),
                col(TrainingInvite.checked_in_at).is_not(None),
                col(Training.starts_at) >= start,
                col(Training.starts_at) < end,
            )
            .group_by(col(TrainingInvite.user_id))
        )
        accepted = (
            select(AssignmentRecipient.user_id, func.count())
            .where(
                col(AssignmentRecipient.user_id).in_(ids),
                col(AssignmentRecipient.status).in_(["accepted", "done"]),
                col(AssignmentRecipient.responded_at) >= start,
                col(AssignmentRecipient.responded_at) < end,
            )
            .group_by(col(AssignmentRecipient.user_id))
        )

        def per(model: Any, who: Any, when: Any, low: Any, high: Any) -> Any:
            return (
                select(who, func.count())
                .where(col(who).in_(ids), col(when) >= low, col(when) < high)
                .group_by(col(who))
            )

        return {
            "sessions": await self._count(
                per(
                    NegotiationRound,
                    NegotiationRound.created_by_id,
                    NegotiationRound.held_at,
                    start,
                    end,
                )
            ),
            "offers": await self._count(
                per(
                    BargainingCase,
                    BargainingCase.owner_id,
                    BargainingCase.offer_on,
                    day_start,
                    day_end,
                )
            ),
            "signed": await self._count(
                per(
                    BargainingCase,
                    BargainingCase.owner_id,
                    BargainingCase.signed_on,
                    day_start,
                    day_end,
                )
            ),
            "filed": await self._count(
                per(
                    BargainingCase,
                    BargainingCase.owner_id,
                    BargainingCase.filed_on,
                    day_start,
                    day_end,
                )
            ),
            "surveys": await self._count(
                per(Survey, Survey.author_id, Survey.published_at, start, end)
            ),
            "answers": await self._count(survey_answers),
            "documents": await self._count(
                per(CaseDocument, CaseDocument.created_by_id, CaseDocument.created_at, start, end)
            ),
            "training_hours": await self._count(hours),
            "checks": await self._count(
                per(
                    SupervisionCheck,
                    SupervisionCheck.created_by_id,
                    SupervisionCheck.finished_at,
                    start,
                    end,
                )
            ),
            "rectifications": await self._count(closed_fixes),
            "reports": await self._count(
                per(ProblemReport, ProblemReport.reporter_id, ProblemReport.created_at, start, end)
            ),
            "assignments": await self._count(accepted),
        }

    async def response_hours(
        self, user_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, list[float]]:
        """Hours from each assignment to its answer, per instructor."""
        found = await self.session.execute(
            select(
                AssignmentRecipient.user_id, AssignmentRecipient.responded_at, Assignment.created_at
            )
            .join(Assignment, col(Assignment.id) == col(AssignmentRecipient.assignment_id))
            .where(
                col(AssignmentRecipient.user_id).in_(list(user_ids)),
                # Taking the task on is the response measured; a quick no is no response.
                col(AssignmentRecipient.status).in_(("accepted", "done")),
                col(AssignmentRecipient.responded_at) >= start,
                col(AssignmentRecipient.responded_at) < end,
            )
        )
        hours: dict[int, list[float]] = {}
        for uid, answered, given in found.all():
            if answered is not None:
                hours.setdefault(int(uid), []).append((answered - given).total_seconds() / 3600)
        return hours

    async def recent(self, user_id: int, since: datetime) -> list[tuple[datetime, str, str]]:
        """The work file: (when, kind, detail) of a person's recorded work, newest first."""
        events: list[tuple[datetime, str, str]] = []
        rounds = await self.session.execute(
            select(
                NegotiationRound.held_at, NegotiationRound.round_no, NegotiationRound.place
            ).where(
                NegotiationRound.created_by_id == user_id, col(NegotiationRound.held_at) >= since
            )
        )
        events += [(at, "session", f"{no}|{place}") for at, no, place in rounds.all()]
        docs = await self.session.execute(
            select(CaseDocument.created_at, CaseDocument.kind, CaseDocument.version).where(
                CaseDocument.created_by_id == user_id, col(CaseDocument.created_at) >= since
            )
        )
        events += [(at, "document", f"{kind}|{version}") for at, kind, version in docs.all()]
        polls = await self.session.execute(
            select(Survey.published_at, Survey.id).where(
                Survey.author_id == user_id, col(Survey.published_at) >= since
            )
        )
        events += [(at, "survey", str(sid)) for at, sid in polls.all() if at is not None]
        visits = await self.session.execute(
            select(SupervisionCheck.created_at, SupervisionCheck.team).where(
                SupervisionCheck.created_by_id == user_id, col(SupervisionCheck.created_at) >= since
            )
        )
        events += [(at, "check", team) for at, team in visits.all()]
        reports = await self.session.execute(
            select(ProblemReport.created_at, ProblemReport.category).where(
                ProblemReport.reporter_id == user_id, col(ProblemReport.created_at) >= since
            )
        )
        events += [(at, "report", category) for at, category in reports.all()]
        trained = await self.session.execute(
            select(Training.starts_at, Training.title)
            .join(TrainingInvite, col(TrainingInvite.training_id) == col(Training.id))
            .where(
                TrainingInvite.user_id == user_id,
                col(TrainingInvite.checked_in_at).is_not(None),
                col(Training.starts_at) >= since,
            )
        )
        events += [(at, "training", title) for at, title in trained.all()]
        tasks = await self.session.execute(
            select(Assignment.created_at, Assignment.kind, AssignmentRecipient.status)
            .join(AssignmentRecipient, col(AssignmentRecipient.assignment_id) == col(Assignment.id))
            .where(AssignmentRecipient.user_id == user_id, col(Assignment.created_at) >= since)
        )
        events += [(at, "assignment", f"{kind}|{status}") for at, kind, status in tasks.all()]
        return sorted(events, key=lambda e: e[0], reverse=True)


class ExpenseRepo(_Repo):
    async def add(self, expense: Expense) -> Expense:
        self.session.add(expense)
        await self.session.flush()
        return expense

    async def get(self, expense_id: int) -> Expense | None:
        return await self.session.get(Expense, expense_id)

    async def of_user(self, user_id: int, since: date) -> Sequence[Expense]:
        found = await self.session.execute(
            select(Expense)
            .where(Expense.user_id == user_id, col(Expense.spent_on) >= since)
            .order_by(col(Expense.spent_on).desc(), col(Expense.id).desc())
        )
        return found.scalars().all()

    async def pending_under(self, path_prefix: str) -> list[tuple[Expense, User]]:
        found = await self.session.execute(
            select(Expense, User)
            .join(User, col(User.id) == col(Expense.user_id))
            .join(Org, col(Org.id) == col(Expense.org_id))
            .where(col(Org.path).startswith(path_prefix), Expense.status == "pending")
            .order_by(col(Expense.id))
            .limit(30)
        )
        return [(e, u) for e, u in found.all()]

    async def under(self, path_prefix: str, start: date, end: date) -> list[tuple[Expense, User]]:
        found = await self.session.execute(
            select(Expense, User)
            .join(User, col(User.id) == col(Expense.user_id))
            .join(Org, col(Org.id) == col(Expense.org_id))
            .where(
                col(Org.path).startswith(path_prefix),
                col(Expense.spent_on) >= start,
                col(Expense.spent_on) < end,
            )
            .order_by(col(User.display_name), col(Expense.spent_on))
        )
        return [(e, u) for e, u in found.all()]


class AssessmentRepo(_Repo):
    async def scores(self, user_ids: Sequence[int], year: int) -> dict[int, AssessmentScore]:
        found = await self.session.execute(
            select(AssessmentScore).where(
                col(AssessmentScore.user_id).in_(list(user_ids)), AssessmentScore.year == year
            )
        )
        return {s.user_id: s for s in found.scalars().all()}

    async def save(self, score: AssessmentScore) -> None:
        await self.session.merge(score)
        await self.session.flush()
