"""Middlewares, outermost first: the per-chat lock and form context, throttling, unit of
work with the update-id guard, the form state read inside it, then user, locale and
presenter loading."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message, TelegramObject, Update
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.rendering import Renderer
from bot.presentation.ui import Ui
from bot.services import users
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
Next = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ThrottlingMiddleware(BaseMiddleware):
    """Per-user token bucket. A flood gets one polite note, then is dropped until it calms."""

    def __init__(self, rate: float, burst: int, renderer: Renderer, max_users: int = 50_000):
        self.rate = rate
        self.burst = float(burst)
        self.renderer = renderer
        self._buckets: OrderedDict[int, tuple[float, float, bool]] = OrderedDict()
        self._max_users = max_users

    def _allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn): warn is True only for the first refusal of a flood."""
        now = time.monotonic()
        tokens, last, warned = self._buckets.get(user_id, (self.burst, now, False))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
            warned = False
        warn = not allowed and not warned
        self._buckets[user_id] = (tokens, now, warned or warn)
        self._buckets.move_to_end(user_id)
        while len(self._buckets) > self._max_users:
            self._buckets.popitem(last=False)
        return allowed, warn

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is None:
            return await handler(event, data)
        allowed, warn = self._allow(sender.id)
        if allowed:
            return await handler(event, data)
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        try:
            if event.callback_query:
                await event.callback_query.answer()
            if warn:
                locale = users.pick_locale(None, sender.language_code, self.renderer.default_locale)
                await bot.send_message(sender.id, self.renderer.text(locale, "common.throttled"))
        except TelegramAPIError:
            log.info("could not send the throttling note to %s", sender.id)
        return UNHANDLED


class UnitOfWorkMiddleware(BaseMiddleware):
    """One unit of work per update, committed once; each update id is handled at most once.

    The update id is recorded in the same transaction as the update's effects, so a crash
    before the commit leaves neither, and a redelivered update after it is skipped. A
    Telegram error while replying still commits: what the user did is not undone because
    the answer could not be delivered.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, concurrency: int
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        # At most this many updates hold a connection; the rest wait here, in order and
        # without a timeout, instead of timing out in the connection pool during a burst.
        self.slots = asyncio.Semaphore(concurrency)

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with self.slots, UnitOfWork(self.sessions) as uow:
            if not await uow.updates.claim(event.update_id, self.clock.now()):
                log.info("update %s was handled before; skipped", event.update_id)
                return UNHANDLED
            data["uow"] = uow
            try:
                result = await handler(event, data)
            except TelegramAPIError:
                await uow.commit()
                raise
            await uow.commit()
            return result


class StateContextMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware (the per-chat lock, then the context) without its read of
    the state: LoadStateMiddleware reads it inside the update's unit of work, so a step
    reads and writes its state in one transaction instead of opening one just to read."""

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        context = self.resolve_event_context(data["bot"], data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        async with self.events_isolation.lock(key=context.key):
            data["state"], data["raw_state"] = context, None
            return await handler(event, data)


class LoadStateMiddleware(BaseMiddleware):
    """Reads the chat's form state for the state filters, after the lock and inside the
    unit of work (see StateContextMiddleware)."""

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        context: FSMContext | None = data.get("state")
        if context is not None:
            data["raw_state"] = await context.get_state()
        return await handler(event, data)


class UserMiddleware(BaseMiddleware):
    """Loads the sender's User row (None for strangers), their locale, and the presenter."""

    def __init__(self, renderer: Renderer, web_base: str | None = None) -> None:
        self.renderer = renderer
        self.web_base = web_base  # the Mini App's PUBLIC_URL, for its menu button

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        uow: UnitOfWork = data["uow"]
        sender: TelegramUser | None = data.get("event_from_user")
        user = await users.load(uow, sender.id) if sender else None
        if user is not None:
            users.noticed_unblock(user)
        locale = users.pick_locale(
            user, sender.language_code if sender else None, self.renderer.default_locale
        )
        data["user"] = user
        data["locale"] = locale
        chat = data.get("event_chat")
        origin = None
        if isinstance(event, Update) and event.callback_query is not None:
            pressed = event.callback_query.message
            origin = pressed if isinstance(pressed, Message) else None
        chat_id = chat.id if chat is not None else (sender.id if sender else None)
        data["ui"] = Ui(data["bot"], self.renderer, locale, chat_id, origin, self.web_base)
        data["ctx"] = Ctx.of(data)
        return await handler(event, data)


# The callback queries answered while handling the current update, so the error handler
# does not answer one twice (Telegram refuses the second answer).
ANSWERED: ContextVar[set[str] | None] = ContextVar("xieshang_answered", default=None)


class AnswerTracker(BaseRequestMiddleware):
    """A request middleware on the bot's session: notes each answered callback query."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        answered = ANSWERED.get()
        if isinstance(method, AnswerCallbackQuery) and answered is not None:
            answered.add(method.callback_query_id)
        return response


class AnswerScopeMiddleware(BaseMiddleware):
    """Opens the set of answered callback queries for one update. It is not reset on the way
    out: the error handler, which runs outside this middleware, still reads it."""

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        ANSWERED.set(set())
        return await handler(event, data)


def answered(query_id: str) -> bool:
    found = ANSWERED.get()
    return found is not None and query_id in found
