"""Enterprises and bargaining cases: topics, meetings, representatives, research and documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, union
from sqlalchemy import case as sa_case
from sqlalchemy.orm import aliased, defer, undefer
from sqlmodel import col, select

from storage.models import (
    BargainingCase,
    CaseDocument,
    CaseEnterprise,
    CaseRepresentative,
    CaseShare,
    CaseTopic,
    Enterprise,
    EnterpriseFinance,
    NegotiationRound,
    Org,
    RoundRevision,
    Stage,
    StageEvent,
    TopicEvent,
    TopicPackage,
    User,
    WageGuideline,
)
from storage.repositories.base import ModelRepo, Repo


class EnterpriseRepo(ModelRepo[Enterprise]):
    model = Enterprise

    async def names(self, ids: Sequence[int]) -> dict[int, str]:
        """The names of these enterprises, in one query."""
        if not ids:
            return {}
        stmt = select(Enterprise.id, Enterprise.name).where(col(Enterprise.id).in_(set(ids)))
        return {int(i): str(n) for i, n in (await self.session.execute(stmt)).all()}

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


# Stages in the procedure's order, for sorting in SQL.
_STAGE_ORDER = sa_case(
    {stage.value: n for n, stage in enumerate(Stage)}, value=col(BargainingCase.stage), else_=99
)


class CaseRepo(Repo):
    async def get(self, case_id: int) -> BargainingCase | None:
        return await self.session.get(BargainingCase, case_id)

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

    async def enterprises_of(self, case_id: int) -> Sequence[Enterprise]:
        stmt = (
            select(Enterprise)
            .join(CaseEnterprise, col(CaseEnterprise.enterprise_id) == Enterprise.id)
            .where(CaseEnterprise.case_id == case_id)
            .order_by(col(Enterprise.name))
        )
        return (await self.session.execute(stmt)).scalars().all()

    def visible(self, user_id: int | None, path_prefix: str | None) -> Any:
        """The condition on bargaining_case of what a person sees (for joins elsewhere)."""
        return self._visible(user_id, path_prefix)

    def _visible(self, user_id: int | None, path_prefix: str | None) -> Any:
        """The filter of the cases a person sees: an instructor's own and those shared with
        them; a liaison's union and those below it."""
        if path_prefix is not None:
            return col(BargainingCase.org_id).in_(
                select(Org.id).where(col(Org.path).startswith(path_prefix))
            )
        # One set of ids from two indexes (owner, share), not an OR the planner can only
        # answer by reading every case.
        own = aliased(BargainingCase)
        mine = select(own.id).where(own.owner_id == user_id)
        shared = select(CaseShare.case_id).where(CaseShare.user_id == user_id)
        return col(BargainingCase.id).in_(union(mine, shared))

    async def page(
        self,
        user_id: int | None,
        path_prefix: str | None,
        offset: int,
        limit: int,
        where: Sequence[Any] = (),
        order: str = "recent",
    ) -> tuple[Sequence[BargainingCase], int]:
        """One page of the cases a person sees, and how many there are: two queries whatever
        the number of cases. `where`: more conditions (a dashboard's filters); `order`:
        recent (last changed first), year, or stage (in the procedure's order)."""
        visible = and_(self._visible(user_id, path_prefix), *where)
        total = (
            await self.session.execute(
                select(func.count()).select_from(BargainingCase).where(visible)
            )
        ).scalar_one()
        newest = (col(BargainingCase.updated_at).desc(), col(BargainingCase.id).desc())
        orders = {
            "recent": newest,
            "year": (col(BargainingCase.year).desc(), *newest),
            "stage": (_STAGE_ORDER, *newest),
        }
        rows = await self.session.execute(
            select(BargainingCase)
            .where(visible)
            .order_by(*orders.get(order, newest))
            .offset(offset)
            .limit(limit)
        )
        return rows.scalars().all(), int(total)

    async def years(self, user_id: int | None, path_prefix: str | None) -> list[int]:
        found = await self.session.execute(
            select(BargainingCase.year)
            .where(self._visible(user_id, path_prefix))
            .distinct()
            .order_by(col(BargainingCase.year).desc())
        )
        return [int(y) for y in found.scalars().all()]

    async def enterprises_of_many(self, case_ids: Sequence[int]) -> dict[int, list[Enterprise]]:
        """The enterprises of several cases, in one query."""
        if not case_ids:
            return {}
        found = await self.session.execute(
            select(CaseEnterprise.case_id, Enterprise)
            .join(Enterprise, col(Enterprise.id) == CaseEnterprise.enterprise_id)
            .where(col(CaseEnterprise.case_id).in_(case_ids))
            .order_by(col(Enterprise.id))
        )
        by_case: dict[int, list[Enterprise]] = {case_id: [] for case_id in case_ids}
        for case_id, enterprise in found.all():
            by_case[case_id].append(enterprise)
        return by_case

    async def add_enterprise(self, case_id: int, enterprise_id: int) -> None:
        self.session.add(CaseEnterprise(case_id=case_id, enterprise_id=enterprise_id))
        await self.session.flush()

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

    async def first(self, limit: int) -> Sequence[BargainingCase]:
        """The oldest cases (the province data set puts its surveys on them)."""
        stmt = select(BargainingCase).order_by(col(BargainingCase.id)).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    async def events(self, case_id: int) -> Sequence[StageEvent]:
        stmt = select(StageEvent).where(StageEvent.case_id == case_id).order_by(col(StageEvent.id))
        return (await self.session.execute(stmt)).scalars().all()


class TopicRepo(ModelRepo[CaseTopic]):
    model = CaseTopic

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

    async def add_package(self, package: TopicPackage) -> TopicPackage:
        self.session.add(package)
        await self.session.flush()
        return package

    async def packages(self, case_id: int) -> Sequence[TopicPackage]:
        stmt = (
            select(TopicPackage)
            .where(TopicPackage.case_id == case_id)
            .order_by(col(TopicPackage.id))
        )
        return (await self.session.execute(stmt)).scalars().all()


class RoundRepo(ModelRepo[NegotiationRound]):
    model = NegotiationRound

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


class RepresentativeRepo(ModelRepo[CaseRepresentative]):
    model = CaseRepresentative

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


class ResearchRepo(Repo):
    async def finance(self, enterprise_id: int, year: int) -> EnterpriseFinance | None:
        return await self.session.get(EnterpriseFinance, (enterprise_id, year))

    async def guideline(self, org_id: int, year: int) -> WageGuideline | None:
        return await self.session.get(WageGuideline, (org_id, year))

    async def latest_guideline(self, org_id: int, year: int) -> WageGuideline | None:
        """The union's most recent guideline of `year` or before."""
        found = await self.session.execute(
            select(WageGuideline)
            .where(WageGuideline.org_id == org_id, col(WageGuideline.year) <= year)
            .order_by(col(WageGuideline.year).desc())
            .limit(1)
        )
        return found.scalars().first()

    async def save(self, record: EnterpriseFinance | WageGuideline) -> None:
        await self.session.merge(record)
        await self.session.flush()


class DocumentRepo(ModelRepo[CaseDocument]):
    model = CaseDocument

    async def next_version(self, case_id: int, kind: str) -> int:
        found = await self.session.execute(
            select(func.max(CaseDocument.version)).where(
                CaseDocument.case_id == case_id, CaseDocument.kind == kind
            )
        )
        return int(found.scalar() or 0) + 1

    async def with_file(self, document_id: int) -> CaseDocument | None:
        """A document with its file, even when a list loaded it without."""
        found = await self.session.execute(
            select(CaseDocument)
            .options(undefer(CaseDocument.content))  # type: ignore[arg-type]
            .where(CaseDocument.id == document_id)
            .execution_options(populate_existing=True)
        )
        return found.scalars().first()

    async def earlier_contracts(
        self, enterprise_ids: Sequence[int], kind: str, case_id: int, limit: int = 20
    ) -> Sequence[CaseDocument]:
        """Contracts of `kind` drafted on other cases of these enterprises, newest first,
        without the files."""
        found = await self.session.execute(
            select(CaseDocument)
            .options(defer(CaseDocument.content))  # type: ignore[arg-type]
            .join(CaseEnterprise, col(CaseEnterprise.case_id) == col(CaseDocument.case_id))
            .where(
                col(CaseEnterprise.enterprise_id).in_(enterprise_ids),
                CaseDocument.kind == kind,
                CaseDocument.case_id != case_id,
            )
            .order_by(col(CaseDocument.id).desc())
            .limit(limit)
        )
        unique = {d.id: d for d in found.scalars().all()}  # a case of two listed enterprises
        return list(unique.values())

    async def latest_of_kinds(self, case_id: int, kinds: Sequence[str]) -> CaseDocument | None:
        """The case's newest document of one of `kinds`, with its file."""
        found = await self.session.execute(
            select(CaseDocument)
            .options(undefer(CaseDocument.content))  # type: ignore[arg-type]
            .where(CaseDocument.case_id == case_id, col(CaseDocument.kind).in_(kinds))
            .order_by(col(CaseDocument.id).desc())
            .limit(1)
        )
        return found.scalars().first()

    async def of_case(self, case_id: int) -> Sequence[CaseDocument]:
        """Newest first, without loading the files themselves."""
        found = await self.session.execute(
            select(CaseDocument)
            .options(defer(CaseDocument.content))  # type: ignore[arg-type]
            .where(CaseDocument.case_id == case_id)
            .order_by(col(CaseDocument.id).desc())
        )
        return found.scalars().all()
