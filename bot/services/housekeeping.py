"""Pruning what only matters for a while: handled update ids, Mini App sign-ins past their
age, wrong invite attempts, who answered surveys that have closed, and unfinished survey
answers left idle."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services import invites, surveys
from bot.services.anonymity import SurveyKeys
from bot.settings import Settings
from storage.uow import UnitOfWork


async def prune(uow: UnitOfWork, now: datetime, settings: Settings, keys: SurveyKeys) -> None:
    await uow.updates.prune(now - timedelta(hours=settings.processed_update_retention_hours))
    await uow.sign_ins.prune(now)
    await invites.prune_attempts(uow, now, settings)
    await surveys.erase_closed(uow, now, keys, settings)
