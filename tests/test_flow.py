"""Flow control (bot/flow.py): every Bot API call paced within Telegram's budgets, replies
before notifications before bulk, a 429 pauses everyone and the call is resent, one budget
across processes through Redis."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendChatAction, SendMessage

from bot.emulator.telegram import ApiError
from bot.flow import FlowController, LocalBudget, Priority, RedisBudget, counted, lane
from bot.testing import Harness
from tests.conftest import make_settings


class Wire:
    """Stands for Telegram: records when each call left, optionally refuses with 429s."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []
        self.refuse: list[int] = []  # retry_after of the next calls to refuse

    async def __call__(self, bot: Any, method: Any) -> Any:
        if self.refuse:
            raise TelegramRetryAfter(
                method=method, message="Too Many Requests", retry_after=self.refuse.pop(0)
            )
        self.sent.append((time.monotonic(), str(getattr(method, "text", method.__api_method__))))
        return True


def flow(rate: float = 1000.0, **kwargs: Any) -> FlowController:
    kwargs.setdefault("chat_rate", 1000.0)
    kwargs.setdefault("chat_burst", 1000)
    return FlowController(LocalBudget(rate, 1000.0), **kwargs)


async def send(controller: FlowController, wire: Wire, text: str, chat_id: int = 1) -> None:
    await controller(wire, None, SendMessage(chat_id=chat_id, text=text))  # type: ignore[arg-type]


async def send_in(
    controller: FlowController, wire: Wire, priority: Priority, text: str, chat_id: int = 1
) -> None:
    with lane(priority):
        await send(controller, wire, text, chat_id)


def test_what_counts_against_the_budget():
    for name in ("sendMessage", "sendDocument", "sendPhoto", "editMessageText", "copyMessage"):
        assert counted(name), name
    for name in ("answerCallbackQuery", "sendChatAction", "getUpdates", "setMyCommands", "getMe"):
        assert not counted(name), name


async def test_slots_are_spaced_evenly_and_a_429_pauses_everyone():
    controller, wire = flow(50.0), Wire()  # 20.6 ms apart
    started = time.monotonic()
    await asyncio.gather(*(send(controller, wire, str(i), chat_id=i + 1) for i in range(10)))
    moments = [at - started for at, _ in wire.sent]
    # Never faster than the rate: the k-th send after the first at least k slots after it.
    # (Compared with the first, not the one before: slots are kept on a fixed schedule, so a
    # send the event loop ran late — a garbage collection — is followed by one on time.)
    assert all(moments[k] - moments[0] >= k * 0.0195 for k in range(1, len(moments)))
    assert moments[-1] < 0.3  # no drift: nine gaps, not nine sleeps plus their lateness

    # A 429 on one call: it is sent again, and the sends waiting behind it wait too.
    wire.sent.clear()
    wire.refuse.append(1)
    refused_at = time.monotonic()
    await asyncio.gather(*(send(controller, wire, str(i), chat_id=i + 1) for i in range(5)))
    assert len(wire.sent) == 5
    assert all(at - refused_at >= 0.95 for at, _ in wire.sent)
    assert controller.stats.retried_429 == 1


async def test_replies_go_before_bulk_and_bulk_still_finishes():
    controller, wire = flow(20.0), Wire()  # 51.5 ms a slot
    bulk = [
        asyncio.create_task(send_in(controller, wire, Priority.bulk, f"b{i}", i + 100))
        for i in range(20)
    ]
    await asyncio.sleep(0.12)
    replies = [
        asyncio.create_task(send_in(controller, wire, Priority.reply, f"r{i}", i + 1))
        for i in range(3)
    ]
    await asyncio.gather(*replies)
    order = [text for _, text in wire.sent]
    positions = [order.index(f"r{i}") for i in range(3)]
    assert max(positions) <= 6, order  # the next three slots, not after twenty bulk sends
    await asyncio.gather(*bulk)
    assert sorted(t for t in [text for _, text in wire.sent] if t.startswith("b")) == sorted(
        f"b{i}" for i in range(20)
    )


async def test_replies_are_served_in_the_order_their_updates_arrived():
    controller, wire = flow(40.0), Wire()
    tasks = []
    for i in range(6):
        tasks.append(asyncio.create_task(send_in(controller, wire, Priority.reply, f"r{i}", i + 1)))
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    assert [text for _, text in wire.sent] == [f"r{i}" for i in range(6)]


async def test_bulk_is_never_starved_by_a_stream_of_replies():
    controller, wire = flow(20.0, bulk_max_wait=0.3), Wire()
    started = time.monotonic()
    replies = [
        asyncio.create_task(send_in(controller, wire, Priority.reply, f"r{i}", i + 1))
        for i in range(30)
    ]
    bulk = asyncio.create_task(send_in(controller, wire, Priority.bulk, "b", 999))
    await bulk
    assert time.monotonic() - started < 0.9  # 30 replies take 1.5 s: bulk did not wait them out
    await asyncio.gather(*replies)


async def test_bulk_share_while_people_wait():
    controller, wire = flow(50.0, bulk_share=0.5, bulk_max_wait=60), Wire()
    tasks = [
        asyncio.create_task(send_in(controller, wire, priority, f"{priority.name}{i}", i + 1))
        for i in range(10)
        for priority in (Priority.bulk, Priority.reply)
    ]
    await asyncio.gather(*tasks)
    first = [text for _, text in wire.sent][:10]
    assert 4 <= sum(text.startswith("bulk") for text in first) <= 6


async def test_one_chat_gets_a_burst_then_one_a_second():
    controller, wire = flow(1000.0, chat_rate=10.0, chat_burst=3), Wire()
    started = time.monotonic()
    for i in range(6):
        await send(controller, wire, str(i), chat_id=7)
    moments = [at - started for at, _ in wire.sent]
    assert moments[2] < 0.05  # the burst
    assert moments[3] >= 0.09
    assert moments[5] >= 0.29  # then 1/rate apart (a little more: the margin)


async def test_callback_answers_and_chat_actions_never_wait_behind_messages():
    controller, wire = flow(5.0), Wire()
    bulk = [
        asyncio.create_task(send_in(controller, wire, Priority.bulk, f"b{i}", i + 100))
        for i in range(10)
    ]
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await controller(wire, None, AnswerCallbackQuery(callback_query_id="1"))  # type: ignore[arg-type]
    await controller(wire, None, SendChatAction(chat_id=1, action="typing"))  # type: ignore[arg-type]
    assert time.monotonic() - started < 0.05
    for task in bulk:
        task.cancel()
    await asyncio.gather(*bulk, return_exceptions=True)


async def test_a_cancelled_waiter_gives_its_slot_to_the_next():
    controller, wire = flow(20.0), Wire()
    first = asyncio.create_task(send(controller, wire, "a", 1))
    doomed = asyncio.create_task(send(controller, wire, "gone", 2))
    last = asyncio.create_task(send(controller, wire, "c", 3))
    await asyncio.sleep(0.01)
    doomed.cancel()
    await asyncio.gather(first, last)
    assert [text for _, text in wire.sent] == ["a", "c"]


# ----- through the real dispatcher, with the emulator enforcing Telegram's limits -----


def telegram_pace(sqlite_url: str, **overrides: Any):
    values = {"sender_global_rate": 30.0, "sender_chat_rate": 1.0, "sender_chat_burst": 3}
    values.update(overrides)
    return make_settings(sqlite_url, **values)


async def test_a_burst_of_workers_at_the_flood_limit_all_get_their_answer(sqlite_url, clock):
    harness = await Harness.start(telegram_pace(sqlite_url), clock, migrate=False)
    try:
        harness.telegram.rate_limit = 30
        users = [harness.user(5000 + i, f"工人{i}") for i in range(90)]
        started = time.monotonic()
        await asyncio.gather(*(user.send("/start") for user in users))
        elapsed = time.monotonic() - started
        assert all(user.bot_messages() for user in users)
        assert harness.telegram.flood_refusals == 0
        assert elapsed < 90 / 30 / 0.8  # near Telegram's pace, not slowed by 429 pauses
    finally:
        await harness.close()


async def test_a_429_on_a_reply_waits_and_the_reply_still_arrives(sqlite_url, clock):
    harness = await Harness.start(telegram_pace(sqlite_url), clock, migrate=False)
    try:
        worker = harness.user(5001)
        harness.telegram.inject.append(ApiError(429, "Too Many Requests: retry after 1", 1))
        started = time.monotonic()
        reply = await worker.send("/start")
        assert time.monotonic() - started >= 0.95
        assert reply.texts
        assert reply.texts[0]
        assert [c.error is not None for c in reply.calls if c.method == "sendMessage"][:2] == [
            True,
            False,
        ]
    finally:
        await harness.close()


async def test_a_reply_given_up_gets_no_second_failing_message(sqlite_url, clock, caplog):
    harness = await Harness.start(telegram_pace(sqlite_url), clock, migrate=False)
    try:
        worker = harness.user(5001)
        harness.app.flow._give_up = 0.5
        harness.telegram.inject.append(ApiError(429, "Too Many Requests: retry after 30", 30))
        with caplog.at_level(logging.ERROR, logger="bot.flow"):
            reply = await worker.send("/start")
        assert [c.method for c in reply.calls if c.method == "sendMessage"] == ["sendMessage"]
        assert any("update 1:" in r.getMessage() for r in caplog.records)
    finally:
        await harness.close()


async def test_a_person_is_answered_before_a_running_broadcast(sqlite_url, clock):
    harness = await Harness.start(telegram_pace(sqlite_url), clock, migrate=False)
    try:
        harness.telegram.rate_limit = 30
        recipients = [harness.user(6000 + i) for i in range(60)]
        instructor = harness.user(5001)
        sender = harness.app.sender
        broadcast = asyncio.gather(
            *(sender.send_message(r.id, "通知", priority=Priority.bulk) for r in recipients)
        )
        await asyncio.sleep(0.3)
        started = time.monotonic()
        reply = await instructor.send("/start")
        latency = time.monotonic() - started
        assert reply.texts
        assert latency < 0.5  # the 50 bulk messages still queued would take 1.7 s
        results = await broadcast
        assert all(r.value == "sent" for r in results)
        assert harness.telegram.flood_refusals == 0
        assert all(len(r.bot_messages()) == 1 for r in recipients)
    finally:
        await harness.close()


async def test_edits_count_against_the_emulators_flood_limit(sqlite_url, clock):
    harness = await Harness.start(make_settings(sqlite_url), clock, migrate=False)
    try:
        harness.user(5001)
        harness.telegram.rate_limit = 1000
        bot = harness.app.bot
        sent = await bot.send_message(5001, "a")
        for i in range(4):
            await bot(EditMessageText(chat_id=5001, message_id=sent.message_id, text=f"b{i}"))
        assert harness.telegram.flood_refusals >= 1  # 5 in one chat at once: over the burst
    finally:
        await harness.close()


# ----- one budget for several processes -----


@pytest.mark.redis
async def test_processes_sharing_redis_never_exceed_the_limit_together(redis_url):
    from redis.asyncio import Redis

    bot_id = f"test-{uuid.uuid4().hex}"
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    try:
        controllers = [
            FlowController(
                RedisBudget(client, bot_id, 20.0, 1000.0), chat_rate=1000.0, chat_burst=1000
            )
            for client in clients
        ]
        wire = Wire()
        started = time.monotonic()
        await asyncio.gather(
            *(
                send(controller, wire, f"{n}:{i}", chat_id=n * 100 + i + 1)
                for n, controller in enumerate(controllers)
                for i in range(25)
            )
        )
        times = sorted(at for at, _ in wire.sent)
        assert len(times) == 50
        windows = [sum(1 for t in times if start <= t < start + 1.0) for start in times]
        assert max(windows) <= 20
        assert times[-1] - started >= 49 / 20  # the two together went at one pace

        # A 429 met by one process pauses the other.
        await controllers[0].budget.pause(0.5)
        before = time.monotonic()
        await send(controllers[1], wire, "after", chat_id=999)
        assert time.monotonic() - before >= 0.45

        # Bulk in one process holds back while people wait in the other.
        busy, quiet = controllers
        await busy.budget.people_waiting()
        assert await quiet.budget.others_waiting()
        assert not await busy.budget.others_waiting()
    finally:
        for client in clients:
            await client.aclose()


async def test_a_failing_budget_never_leaves_people_waiting():
    class Flaky(LocalBudget):
        def __init__(self) -> None:
            super().__init__(1000.0, 1000.0)
            self.failures = 2

        async def reserve(self, paid: bool) -> float:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("budget store hiccup")
            return await super().reserve(paid)

    controller, wire = FlowController(Flaky(), chat_rate=1000.0, chat_burst=1000), Wire()
    await asyncio.wait_for(
        asyncio.gather(*(send(controller, wire, str(i), chat_id=i + 1) for i in range(5))), 5
    )
    assert len(wire.sent) == 5
