"""The proactive sender: 429 waits retry_after, 403 marks the user blocked and stops,
network and server errors retry with backoff, long texts split, rates are limited."""

from __future__ import annotations

from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage

from bot.emulator.telegram import ApiError
from bot.sender import Delivery, Sender
from bot.testing import Harness
from storage.models import Role
from tests.factories import join, make_org, user_row


def _sender(h: Harness, sleeps: list[float], **kwargs) -> Sender:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    on_blocked = h.app.sender._on_blocked
    return Sender(h.app.bot, on_blocked=on_blocked, sleep=fake_sleep, **kwargs)


async def test_a_429_the_flow_controller_gave_up_on_is_a_failure(harness: Harness):
    """The flow controller waits and resends (tests/test_flow.py); past its limit the
    sender records a failure for the row's own retry schedule."""
    harness.user(1001)
    harness.app.flow._give_up = 0.5
    harness.telegram.inject.append(ApiError(429, "Too Many Requests: retry after 7", retry_after=7))
    result = await _sender(harness, []).send_message(1001, "通知")
    assert result is Delivery.failed
    assert [c.method for c in harness.telegram.calls] == ["sendMessage"]


async def test_403_marks_blocked_and_stops(harness: Harness):
    org = await make_org(harness, "武汉市总工会")
    chat = harness.user(1001)
    await join(harness, chat, org, Role.liaison)
    harness.telegram.blocked.add(1001)
    sleeps: list[float] = []
    before = len(harness.telegram.calls)
    result = await _sender(harness, sleeps).send_message(1001, "通知")
    assert result is Delivery.blocked
    assert len(harness.telegram.calls) - before == 1  # never retried
    row = await user_row(harness, 1001)
    assert row is not None
    assert row.blocked_bot
    # Writing to the bot again clears the flag.
    harness.telegram.blocked.discard(1001)
    await chat.send("/menu")
    row = await user_row(harness, 1001)
    assert row is not None
    assert not row.blocked_bot


async def test_server_errors_retry_with_backoff_then_give_up(harness: Harness):
    harness.user(1001)
    for _ in range(3):
        harness.telegram.inject.append(ApiError(500, "Internal Server Error"))
    sleeps: list[float] = []
    sender = _sender(harness, sleeps, max_attempts=3)
    assert await sender.send_message(1001, "通知") is Delivery.failed
    assert len(sleeps) == 2
    assert sleeps[1] > sleeps[0]

    harness.telegram.inject.append(ApiError(502, "Bad Gateway"))
    assert await sender.send_message(1001, "通知") is Delivery.sent


class FlakyBot:
    """Fails the first call with a network error, then passes calls to the real bot."""

    def __init__(self, bot) -> None:
        self.bot = bot
        self.calls = 0

    async def __call__(self, method):
        self.calls += 1
        if self.calls == 1:
            raise TelegramNetworkError(method=method, message="connection reset")
        return await self.bot(method)


async def test_network_errors_retry(harness: Harness):
    harness.user(1001)
    sleeps: list[float] = []
    sender = _sender(harness, sleeps)
    sender.bot = FlakyBot(harness.app.bot)  # type: ignore[assignment]
    assert await sender.deliver(1001, SendMessage(chat_id=1001, text="x")) is Delivery.sent
    assert len(sleeps) == 1
    assert sender.bot.calls == 2  # type: ignore[attr-defined]


async def test_bad_request_is_not_retried(harness: Harness):
    harness.user(1001)
    sleeps: list[float] = []
    before = len(harness.telegram.calls)
    result = await _sender(harness, sleeps).send_message(1001, "<b>unclosed")
    assert result is Delivery.failed
    assert len(harness.telegram.calls) - before == 1


async def test_long_text_is_split_under_the_limit(harness: Harness):
    harness.user(1001)
    sleeps: list[float] = []
    long = "\n".join(f"<b>第{i}条</b> 用户输入 &amp; 内容" * 3 for i in range(600))
    assert await _sender(harness, sleeps).send_message(1001, long) is Delivery.sent
    sent = [c for c in harness.telegram.calls if c.method == "sendMessage"]
    assert len(sent) > 1
    assert not harness.telegram.errors()
