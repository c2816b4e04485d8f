"""The one way proactive messages leave the bot (reminders, broadcasts, notifications).

Global and per-chat rate limits, 429 honoured by waiting `retry_after`, 403 recorded as
"blocked the bot" and never retried, network and server errors retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
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
from aiolimiter import AsyncLimiter

from bot.rendering import split_html

log = logging.getLogger(__name__)
T = TypeVar("T")


class Delivery(StrEnum):
    sent = "sent"
    blocked = "blocked"
    failed = "failed"


class Pacer:
    """Send slots just over `1/rate` apart on absolute times, so timer lateness never adds
    up; a 429 pauses every sender, not only the one that met it (flood control is per bot).

    A token bucket of `rate` per second would allow a burst that, with the steady flow
    after it, exceeds the limit in some one-second window."""

    def __init__(self, rate: float) -> None:
        # 3 % under the limit: requests sent evenly can still arrive bunched (network,
        # scheduling), and Telegram counts arrivals.
        self._gap = 1.03 / rate
        self._next = 0.0
        self._paused_until = 0.0

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            slot = max(now, self._next)
            self._next = slot + self._gap
            if slot > now:
                await asyncio.sleep(slot - now)
            if slot >= self._paused_until:
                return
            # A 429 came while this slot was waiting: take a new one after the pause.

    async def __aexit__(self, *exc: object) -> None:
        return None

    def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` (Telegram said retry_after), including the sends
        already given a slot inside that time."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, until)


class Sender:
    def __init__(
        self,
        bot: Bot,
        global_rate: float = 30.0,
        chat_rate: float = 1.0,
        max_attempts: int = 5,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_chats: int = 10_000,
    ) -> None:
        self.bot = bot
        self._global = Pacer(global_rate)
        self._chat_period = 1.0 / chat_rate
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self._max_chats = max_chats
        self._max_attempts = max_attempts
        self._on_blocked = on_blocked
        self._sleep = sleep
        self._backoff = BackoffConfig(min_delay=0.5, max_delay=30.0, factor=2.0, jitter=0.1)

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            limiter = self._chats[chat_id] = AsyncLimiter(1, self._chat_period)
            while len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return limiter

    async def send_message(self, chat_id: int, html: str, **kwargs: Any) -> Delivery:
        """Send a (possibly long) HTML message; the reply markup goes on the last part."""
        markup = kwargs.pop("reply_markup", None)
        parts = split_html(html)
        result = Delivery.sent
        for index, part in enumerate(parts):
            method = SendMessage(
                chat_id=chat_id,
                text=part,
                reply_markup=markup if index == len(parts) - 1 else None,
                **kwargs,
            )
            result = await self.deliver(chat_id, method)
            if result is not Delivery.sent:
                break
        return result

    async def deliver(self, chat_id: int, method: TelegramMethod[Any]) -> Delivery:
        backoff = Backoff(config=self._backoff)
        for attempt in range(1, self._max_attempts + 1):
            async with self._chat_limiter(chat_id), self._global:
                try:
                    await self.bot(method)
                    return Delivery.sent
                except TelegramRetryAfter as exc:
                    log.warning("429 for chat %s: waiting %ss", chat_id, exc.retry_after)
                    self._global.pause(float(exc.retry_after))
                    await self._sleep(float(exc.retry_after))
                    continue
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
