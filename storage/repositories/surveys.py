"""Surveys and their anonymous answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import delete, func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    BargainingCase,
    Survey,
    SurveyDay,
    SurveyDraft,
    SurveyPending,
    SurveyPick,
    SurveyResponse,
    SurveyStatus,
    SurveyVoter,
)
from storage.repositories.base import ModelRepo, random_id


@dataclass(frozen=True)
class ReleasedAnswer:
    """An answer as it goes into the results."""

    rise: int | None
    stratum: str | None
    comment: str
    picks: list[tuple[int, int]]  # (rank, item)


class SurveyRepo(ModelRepo[Survey]):
    """Surveys and their anonymous answers. Every aggregate is one SQL query; nothing loads
    a survey's answers into Python except the export, which streams them."""

    model = Survey

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        # The drafts read in this unit of work, held: the session's identity map holds rows
        # weakly, and a step that reads its draft and then writes it would read it twice.
        self._drafts: dict[str, SurveyDraft] = {}

    async def by_token(self, token: str) -> Survey | None:
        found = await self.session.execute(select(Survey).where(Survey.token == token))
        return found.scalars().first()

    async def page_where(
        self, case_condition: Any, offset: int, limit: int
    ) -> tuple[Sequence[Survey], int]:
        """Published surveys of the cases `case_condition` selects, newest first: a page and
        the count, two queries."""
        joined = (
            select(Survey)
            .join(BargainingCase, col(BargainingCase.id) == col(Survey.case_id))
            .where(case_condition, Survey.status != SurveyStatus.draft)
        )
        rows, total = await self.page_of(joined.order_by(col(Survey.id).desc()), offset, limit)
        return [row[0] for row in rows], total

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
        found = await self.session.get(SurveyDraft, tag)
        if found is not None:
            self._drafts[tag] = found
        return found

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
        self._drafts.pop(tag, None)
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
        responses = [
            SurveyResponse(
                id=random_id(),
                survey_id=survey_id,
                rise=answer.rise,
                stratum=answer.stratum,
                comment=answer.comment,
            )
            for answer in answers
        ]
        self.session.add_all(responses)
        await self.session.flush()  # the answers first (the picks refer to them), in order
        self.session.add_all(
            SurveyPick(response_id=response.id, rank=rank, item=item, survey_id=survey_id)
            for response, answer in zip(responses, answers, strict=True)
            for rank, item in answer.picks
        )
        await self.session.execute(
            delete(SurveyPending).where(col(SurveyPending.id).in_([p.id for p in pending]))
        )
        await self.session.flush()

    async def count_day(self, survey_id: int, day: date) -> None:
        statement = self.insert(SurveyDay).values(survey_id=survey_id, day=day, answers=1)
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
