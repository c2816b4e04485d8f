"""Proactive messages (reminders, broadcasts, notifications) and what becomes of them.

Pacing, priorities and 429s are the flow controller's (bot/flow.py), which every Bot API
call passes; the sender puts its sends in a lane (notify or bulk), records 403 as "blocked
the bot" and never retries it, and retries network and server errors with backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.flow import Priority, lane
from bot.presentation.rendering import split_html

log = logging.getLogger(__name__)
T = TypeVar("T")


class Delivery(StrEnum):
    sent = "sent"
    blocked = "blocked"
    failed = "failed"


class Sender:
    def __init__(
        self,
        bot: Bot,
        max_attempts: int = 5,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        paid_broadcast: bool = False,
    ) -> None:
        self.bot = bot
        self._max_attempts = max_attempts
        self._paid = paid_broadcast
        self._on_blocked = on_blocked
        self._sleep = sleep
        self._backoff = BackoffConfig(min_delay=0.5, max_delay=30.0, factor=2.0, jitter=0.1)

    async def send_message(
        self, chat_id: int, html: str, priority: Priority = Priority.notify, **kwargs: Any
    ) -> Delivery:
        """Send a (possibly long) HTML message; the reply markup goes on the last part.
        Bulk messages use the paid-broadcast budget when the union enabled it."""
        markup = kwargs.pop("reply_markup", None)
        if priority is Priority.bulk and self._paid:
            kwargs["allow_paid_broadcast"] = True
        parts = split_html(html)
        result = Delivery.sent
        for index, part in enumerate(parts):
            method = SendMessage(
                chat_id=chat_id,
                text=part,
                reply_markup=markup if index == len(parts) - 1 else None,
                **kwargs,
            )
            result = await self.deliver(chat_id, method, priority)
            if result is not Delivery.sent:
                break
        return result

    async def deliver(
        self, chat_id: int, method: TelegramMethod[Any], priority: Priority = Priority.notify
    ) -> Delivery:
        backoff = Backoff(config=self._backoff)
        for attempt in range(1, self._max_attempts + 1):
            with lane(priority):
                try:
                    await self.bot(method)
                    return Delivery.sent
                except TelegramRetryAfter:
                    # The flow controller waited and resent until its limit: give up here
                    # too; the row stays to be retried by its own schedule.
                    return Delivery.failed
                except TelegramForbiddenError:
                    log.info("chat %s blocked the bot", chat_id)
                    if self._on_blocked is not None:
                        await self._on_blocked(chat_id)
                    return Delivery.blocked
                except TelegramBadRequest as exc:
                    log.error("chat %s: message refused: %s", chat_id, exc.message)
                    return Delivery.failed
                except (TelegramNetworkError, TelegramServerError) as exc:
                    log.warning("chat %s: attempt %s failed: %s", chat_id, attempt, exc)
            if attempt < self._max_attempts:
                await self._sleep(next(backoff))
        return Delivery.failed
