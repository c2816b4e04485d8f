"""Scheduled jobs. Each tick re-derives its due work from storage and is safe to run twice
or in two processes at once; jobs call services, never handlers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.notify import report_to_liaisons
from bot.services import housekeeping, reports
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


async def housekeeping_tick(app: App) -> None:
    async with UnitOfWork(app.db.sessions) as uow:
        await housekeeping.prune(uow, app.clock.now(), app.settings)
        await uow.commit()


async def escalation_tick(app: App) -> int:
    """Send unacknowledged major-problem reports one union up. The claim and the sends share
    one transaction, committed after sending: a crash in between repeats an alert rather
    than losing one."""
    async with UnitOfWork(app.db.sessions) as uow:
        due = await reports.escalate_due(uow, app.clock.now(), app.settings)
        for escalation in due:
            await report_to_liaisons(
                app.sender,
                app.renderer,
                escalation.report,
                escalation.reporter,
                escalation.reported_in,
                escalation.recipients,
                escalated_from=escalation.reported_in,
                minutes=app.settings.report_escalation_minutes,
            )
        await uow.commit()
    if due:
        log.info("escalated %s major-problem report(s)", len(due))
    return len(due)
