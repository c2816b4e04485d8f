"""Flow control: the one path every Bot API call takes out of the process.

`FlowController` is a request middleware on the bot's session, so nothing that calls the
bot (handlers, the presenter, the error handler, jobs, the sender) can pass around it.

- **What counts.** Calls that put or change a message in a chat (send*, edit*, copy,
  forward, stop*) count against Telegram's budgets. Callback answers, chat actions,
  commands, getUpdates and the like pass at once: a callback answer never waits behind
  bulk messages.
- **Budgets.** One global budget (`sender_global_rate` per second, taken ~3 % under), the
  paid-broadcast budget (`sender_paid_rate`) for bulk sends that carry
  `allow_paid_broadcast`, and one per chat: a token bucket of `sender_chat_burst` at
  `sender_chat_rate` per second for private chats (a reply and the edit after it go at
  once), `sender_group_per_minute` for groups.
- **Priorities.** Each send has a lane: `reply` (the task handling a person's update; set
  by `FlowLaneMiddleware`), `notify` (a message to a named person), `bulk` (broadcasts,
  digests, recurring duties). Every global slot goes to the highest lane waiting, replies
  first come first served by the time their update arrived. Bulk takes slots while people
  wait only by `sender_bulk_share`, and at least one slot every
  `sender_bulk_max_wait_seconds`, so it is never starved.
- **429.** `retry_after` pauses the whole budget (every lane, and with Redis every
  process), then the call is sent again, first in its lane. A call that still cannot go
  after `sender_give_up_seconds` is logged with its update id and raised.
- **Several processes.** With Redis the global budget and the 429 pause live in Redis
  (`RedisBudget`: one Lua script reserves slots on Redis's clock), and a process whose
  people are waiting tells the others' bulk to hold back.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update

log = logging.getLogger(__name__)

# 3 % under the limit: requests sent evenly can still arrive bunched, and Telegram counts
# arrivals.
MARGIN = 1.03


class Priority(IntEnum):
    reply = 0  # an answer to the person whose update is being handled
    notify = 1  # a message to a named person (a liaison told of a report, a reminder)
    bulk = 2  # broadcasts, digests, recurring duties, survey reminders


@dataclass(frozen=True)
class Lane:
    priority: Priority
    arrival: float  # time.monotonic() when the update (or the job's send) began
    update_id: int | None = None


_LANE: ContextVar[Lane | None] = ContextVar("xieshang_flow_lane", default=None)


@contextmanager
def lane(priority: Priority) -> Iterator[None]:
    """Sends made inside this block (in this task and the tasks it starts) go in `priority`."""
    current = _LANE.get()
    token = _LANE.set(Lane(priority, time.monotonic(), current.update_id if current else None))
    try:
        yield
    finally:
        _LANE.reset(token)


class FlowLaneMiddleware(BaseMiddleware):
    """Outermost on updates: what a handler sends is a reply, ordered by arrival."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_id = event.update_id if isinstance(event, Update) else None
        token = _LANE.set(Lane(Priority.reply, time.monotonic(), update_id))
        try:
            return await handler(event, data)
        finally:
            _LANE.reset(token)


_UNCOUNTED_SENDS = frozenset(
    {"sendChatAction", "sendGift", "sendMessageDraft", "sendRichMessageDraft"}
)


def counted(method_name: str) -> bool:
    """Whether a Bot API method puts or changes a message in a chat (flood-limited)."""
    if method_name in _UNCOUNTED_SENDS:
        return False
    return method_name.startswith(
        ("send", "editMessage", "copyMessage", "forwardMessage", "stopPoll", "stopMessage")
    )


def chat_of(method: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str) and chat_id.lstrip("-").isascii() and chat_id.lstrip("-").isdigit():
        return int(chat_id)
    return None


class Budget(Protocol):
    """The global send budget, in one process or shared through Redis."""

    per_second: float  # at most this many sends in any one second (the limit, less the margin)

    async def reserve(self, paid: bool) -> float:
        """Take the next send slot; returns how many seconds until it."""

    async def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` (Telegram said retry_after)."""

    async def people_waiting(self) -> None:
        """Tell the other processes that people are waiting here (their bulk holds back)."""

    async def others_waiting(self) -> bool:
        """Whether another process has people waiting."""


class LocalBudget:
    """Slots `MARGIN / rate` apart on absolute times, so timer lateness never adds up.

    A token bucket of `rate` per second would allow a burst that, with the steady flow
    after it, exceeds the limit in some one-second window."""

    def __init__(self, rate: float, paid_rate: float, clock: Callable[[], float] = time.monotonic):
        self.per_second = rate / MARGIN
        self._gaps = {False: MARGIN / rate, True: MARGIN / paid_rate}
        self._next = {False: 0.0, True: 0.0}
        self._clock = clock

    async def reserve(self, paid: bool) -> float:
        now = self._clock()
        slot = max(now, self._next[paid])
        self._next[paid] = slot + self._gaps[paid]
        return slot - now

    async def pause(self, seconds: float) -> None:
        until = self._clock() + seconds
        for paid in (False, True):
            self._next[paid] = max(self._next[paid], until)

    async def people_waiting(self) -> None:
        return None

    async def others_waiting(self) -> bool:
        return False


# Reserve the next slot on Redis's own clock (processes' clocks may disagree): returns the
# microseconds to wait. ARGV: gap in µs, pause in µs (0: reserve a slot; >0: pause).
_SLOT_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local pause = tonumber(ARGV[2])
if pause > 0 then
  local untilt = math.max(nxt, now + pause)
  redis.call('SET', KEYS[1], string.format('%d', untilt), 'PX', math.floor(pause / 1000) + 60000)
  return 0
end
local slot = math.max(now, nxt)
redis.call('SET', KEYS[1], string.format('%d', slot + tonumber(ARGV[1])), 'PX', 60000)
return slot - now
"""


class RedisBudget:
    """The global budget shared by every process of one bot through Redis."""

    def __init__(self, redis: Any, bot_id: int | str, rate: float, paid_rate: float) -> None:
        # redis is imported only by a process that shares its budget through it.
        from redis.exceptions import RedisError

        self._errors: type[Exception] = RedisError
        self._redis = redis
        prefix = f"xieshang:flow:{bot_id}"
        self._keys = {False: f"{prefix}:next", True: f"{prefix}:paid"}
        self._busy_key = f"{prefix}:busy"
        self.per_second = rate / MARGIN
        self._gaps = {False: int(MARGIN / rate * 1e6), True: int(MARGIN / paid_rate * 1e6)}
        self._script = redis.register_script(_SLOT_SCRIPT)
        self._token = f"{id(self)}:{time.time_ns()}"
        self._told = 0.0
        self._warned = 0.0
        self._fallback = LocalBudget(rate, paid_rate)

    async def reserve(self, paid: bool) -> float:
        try:
            micros = await self._script(keys=[self._keys[paid]], args=[self._gaps[paid], 0])
        except self._errors as exc:
            self._down(exc)
            return await self._fallback.reserve(paid)
        return int(micros) / 1e6

    async def pause(self, seconds: float) -> None:
        await self._fallback.pause(seconds)
        micros = max(1, int(seconds * 1e6))
        try:
            for key in self._keys.values():
                await self._script(keys=[key], args=[0, micros])
        except self._errors as exc:
            self._down(exc)

    async def people_waiting(self) -> None:
        now = time.monotonic()
        if now - self._told >= 0.5:
            self._told = now
            try:
                await self._redis.set(self._busy_key, self._token, px=1500)
            except self._errors as exc:
                self._down(exc)

    def _down(self, exc: Exception) -> None:
        """Redis unreachable: this process paces itself alone until it is back."""
        now = time.monotonic()
        if now - self._warned > 60:
            self._warned = now
            log.error("flow control: Redis unreachable (%s); pacing this process alone", exc)

    async def others_waiting(self) -> bool:
        try:
            holder = await self._redis.get(self._busy_key)
        except self._errors as exc:
            self._down(exc)
            return False
        if holder is None:
            return False
        if isinstance(holder, bytes):
            holder = holder.decode()
        return bool(holder != self._token)


@dataclass(order=True)
class _Waiter:
    arrival: float
    seq: int
    priority: Priority = field(compare=False)
    queued: float = field(compare=False)
    future: asyncio.Future[None] = field(compare=False)


@dataclass
class FlowStats:
    sent: int = 0
    retried_429: int = 0
    given_up: int = 0
    by_priority: dict[str, int] = field(default_factory=lambda: {p.name: 0 for p in Priority})


class FlowController(BaseRequestMiddleware):
    def __init__(
        self,
        budget: Budget,
        *,
        chat_rate: float = 1.0,
        chat_burst: int = 3,
        group_per_minute: float = 20.0,
        bulk_share: float = 0.0,
        bulk_max_wait: float = 5.0,
        give_up: float = 300.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 50_000,
    ) -> None:
        self.budget = budget
        self._chat_period = MARGIN / chat_rate
        self._chat_tolerance = (chat_burst - 1) * self._chat_period
        self._group_period = MARGIN * 60.0 / group_per_minute
        self._chats: OrderedDict[int, float] = OrderedDict()  # chat → theoretical arrival
        self._max_chats = max_chats
        self._bulk_share = bulk_share
        self._bulk_max_wait = bulk_max_wait
        self._give_up = give_up
        self._sleep = sleep
        self._clock = clock
        self._replies: list[_Waiter] = []  # heap by (arrival, seq)
        self._notices: deque[_Waiter] = deque()
        self._bulk: deque[_Waiter] = deque()
        self._credit = 0.0
        self._last_bulk = clock()
        self._seq = itertools.count()
        self._pauses = 0
        self._runner: asyncio.Task[None] | None = None
        self.stats = FlowStats()
        self._granted: deque[float] = deque(maxlen=max(1, int(budget.per_second)))

    # ----- the middleware -----
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        current = _LANE.get() or Lane(Priority.notify, self._clock())
        started = self._clock()
        is_counted = counted(method.__api_method__)
        paid = bool(getattr(method, "allow_paid_broadcast", None))
        chat_id = chat_of(method)
        again = False
        while True:
            if is_counted:
                if chat_id is not None:
                    await self._chat_turn(chat_id)
                await self._global_turn(current, paid, first=again)
            try:
                response = await make_request(bot, method)
            except TelegramRetryAfter as exc:
                self.stats.retried_429 += 1
                waited = self._clock() - started
                if waited + exc.retry_after > self._give_up:
                    self.stats.given_up += 1
                    log.error(
                        "update %s: %s to chat %s given up after %.0f s of flood control",
                        current.update_id,
                        method.__api_method__,
                        chat_id,
                        waited,
                    )
                    raise
                log.warning(
                    "429 on %s to chat %s: everyone waits %s s",
                    method.__api_method__,
                    chat_id,
                    exc.retry_after,
                )
                self._pauses += 1
                again = True
                await self.budget.pause(float(exc.retry_after))
                if not is_counted:
                    await self._sleep(float(exc.retry_after))
                continue
            if is_counted:
                self.stats.sent += 1
                self.stats.by_priority[current.priority.name] += 1
            return response

    # ----- per chat -----
    async def _chat_turn(self, chat_id: int) -> None:
        """GCRA: a burst of `chat_burst`, then one per period; reserved before waiting, so one
        chat's messages keep their order."""
        now = self._clock()
        period, tolerance = (
            (self._group_period, 0.0) if chat_id < 0 else (self._chat_period, self._chat_tolerance)
        )
        tat = max(self._chats.get(chat_id, now), now)
        allowed_at = tat - tolerance
        self._chats[chat_id] = tat + period
        self._chats.move_to_end(chat_id)
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        if allowed_at > now:
            await self._sleep(allowed_at - now)

    # ----- global, by priority -----
    async def _global_turn(self, current: Lane, paid: bool, first: bool) -> None:
        """Wait for a global slot; `first`: a resend after a 429 goes ahead of its lane."""
        if paid:  # the paid budget is bulk's alone
            wait = await self.budget.reserve(True)
            if wait > 0:
                await self._sleep(wait)
            return
        loop = asyncio.get_running_loop()
        waiter = _Waiter(
            current.arrival, next(self._seq), current.priority, self._clock(), loop.create_future()
        )
        if current.priority is Priority.reply:
            heapq.heappush(self._replies, waiter)
        else:
            queue = self._notices if current.priority is Priority.notify else self._bulk
            if first:
                queue.appendleft(waiter)
            else:
                queue.append(waiter)
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run())
        try:
            await waiter.future
        except asyncio.CancelledError:
            waiter.future.cancel()
            raise

    def _waiting(self) -> bool:
        return bool(self._replies or self._notices or self._bulk)

    def _people(self) -> bool:
        return bool(self._replies or self._notices)

    async def _run(self) -> None:
        """Hand out slots while anyone waits; a failure here must never leave people
        waiting forever, so it is logged and the loop goes on."""
        while self._waiting():
            try:
                await self._turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("flow control: a slot could not be handed out; going on")
                await self._sleep(0.1)
                waiter = self._pick()  # let one through rather than stall everyone
                if waiter is not None:
                    waiter.future.set_result(None)

    async def _turn(self) -> None:
        """One slot: wait for it (unless another process's people go first) and give it to
        the waiter it belongs to."""
        if self._people():
            await self.budget.people_waiting()
        elif (
            self._clock() - self._last_bulk < self._bulk_max_wait
            and await self.budget.others_waiting()
        ):
            await self._sleep(0.05)  # another process's people go first
            return
        pauses = self._pauses
        wait = await self.budget.reserve(False)
        if wait > 0:
            await self._sleep(wait)
        if self._pauses != pauses:
            return  # a 429 came while this slot was waiting: take one after the pause
        await self._window_guard()
        waiter = self._pick()
        if waiter is not None:
            waiter.future.set_result(None)

    async def _window_guard(self) -> None:
        """Never more than the budget's per-second count in one second from this process,
        even when a stalled event loop releases several slots late and at once."""
        now = self._clock()
        if len(self._granted) == self._granted.maxlen and now - self._granted[0] < 1.0:
            await self._sleep(1.0 - (now - self._granted[0]))
        self._granted.append(self._clock())

    def _pick(self) -> _Waiter | None:
        """The waiter this slot goes to, skipping those who stopped waiting."""
        while self._waiting():
            waiter = self._choose()
            if not waiter.future.done():
                return waiter
        return None

    def _choose(self) -> _Waiter:
        now = self._clock()
        if self._bulk:
            if not self._people() or now - self._last_bulk >= self._bulk_max_wait:
                return self._take_bulk(now)
            self._credit += self._bulk_share
            if self._credit >= 1.0:
                self._credit -= 1.0
                return self._take_bulk(now)
        if self._replies:
            return heapq.heappop(self._replies)
        return self._notices.popleft()

    def _take_bulk(self, now: float) -> _Waiter:
        self._last_bulk = now
        return self._bulk.popleft()

    def queued(self) -> dict[str, int]:
        return {
            "reply": len(self._replies),
            "notify": len(self._notices),
            "bulk": len(self._bulk),
        }
