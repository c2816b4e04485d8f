"""Query plans on PostgreSQL (issue 21): every statement a liaison's list, ledger, report or
the pushes' claims run at province scale, EXPLAINed with sequential scans made as dear as
PostgreSQL allows (enable_seqscan off). A plan that still reads a big table whole has no
index for its filter or its join: at 6,000 cases and a year of reminders that is a screen
read row by row. Small tables (unions, people, profiles: hundreds of rows at most, read whole in
a page of the disk) may be scanned."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.services import (
    assessment,
    assignments,
    broadcasts,
    cases,
    expenses,
    roster,
    survey_results,
    trainings,
)
from bot.services.province import FIRST_INSTRUCTOR, PROVINCE_LIAISON, Scale, seed_province
from bot.settings import Settings
from bot.testing import Harness
from storage.uow import UnitOfWork
from tests.conftest import make_settings

BIG = {  # tables that grow with the province's cases, their history and the year's work
    "bargaining_case",
    "case_enterprise",
    "enterprise",
    "stage_event",
    "case_topic",
    "topic_event",
    "negotiation_round",
    "case_representative",
    "case_document",
    "reminder",
    "survey",
    "survey_response",
    "survey_pick",
    "survey_voter",
    "assignment_recipient",
    "broadcast_delivery",
    "training_invite",
    "expense",
    "supervision_check",
}
SCALE = Scale(cities=2, counties=4, instructors_per_county=3, cases_per_instructor=10,
              surveys=2, answers_per_survey=10, tasks=3, trainings=2)  # fmt: skip


@pytest.fixture
def settings(postgres_url: str) -> Settings:
    return make_settings(postgres_url)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_list_screens_and_claims_have_indexes(harness: Harness):
    app = harness.app
    settings = app.settings
    now = harness.clock.now()
    await seed_province(app.db.sessions, now, settings, SCALE)
    async with app.db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    today = now.astimezone(settings.zone).date()
    try:
        async with UnitOfWork(app.db.sessions) as uow:
            liaison = await uow.users.by_telegram_id(PROVINCE_LIAISON)
            instructor = await uow.users.by_telegram_id(FIRST_INSTRUCTOR)
            assert liaison is not None
            assert instructor is not None
            for who in (liaison, instructor):
                for order in ("recent", "year", "stage"):
                    await cases.case_page(
                        uow, who, 2, 10, now, settings.zone, settings.legal, None, order
                    )
                await survey_results.listing(uow, who, 1, 20)
                await assignments.board(uow, who, True, 1, 20, today)
                await trainings.listing(uow, who, now)
            await roster.roster_page(uow, liaison, "", 0, now, settings)
            await roster.quotas(uow, liaison, settings)
            await assessment.results(uow, liaison, today.year, settings)
            await broadcasts.board(uow, liaison, 1, 20)
            await expenses.pending(uow, liaison)
            await expenses.for_audit(uow, liaison, today.year)
            await uow.reminders.claim_due(now + timedelta(days=1), 50)
            await uow.broadcasts.claim(now, 50)
            await uow.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(captured) > 20

    wrong = []
    async with app.db.engine.connect() as conn:
        await conn.execute(text("SET enable_seqscan = off"))
        for statement, parameters in captured:
            found = await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = found.scalar_one()[0]["Plan"]
            for node in _nodes(plan):
                table = node.get("Relation Name", "")
                if node["Node Type"] == "Seq Scan" and table in BIG:
                    wrong.append(f"reads {table} whole: {statement[:300]}")
    assert not wrong, "\n\n".join(wrong)
