"""Pruning what only matters for a while: handled update ids, wrong invite attempts, and
the voter hashes of surveys that have closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services import invites, surveys
from bot.settings import Settings
from storage.uow import UnitOfWork


async def prune(uow: UnitOfWork, now: datetime, settings: Settings) -> None:
    await uow.updates.prune(now - timedelta(hours=settings.processed_update_retention_hours))
    await invites.prune_attempts(uow, now, settings)
    await surveys.erase_closed(uow, now)
