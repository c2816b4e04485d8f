"""The wage advice on a case: the research suggestion with the workers' median expected
rise from the case's latest survey (its own module: research does not depend on surveys)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.services import cases, research, survey_results
from bot.settings import Settings
from storage.models import User
from storage.uow import UnitOfWork


async def case_advice(
    uow: UnitOfWork, user: User, case_id: int, now: datetime, settings: Settings
) -> research.CaseAdvice:
    """The advice with the workers' median expected rise from the case's latest survey."""
    await cases.load(uow, user, case_id)  # who may see the case, before its survey is read
    found = await survey_results.latest_for_case(uow, case_id, now, settings)
    median = Decimal(str(found.rise.median)) if found and found.rise else None
    return await research.advice_for_case(uow, user, case_id, median)
