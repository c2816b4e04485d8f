"""Flow step throughput: a survey answer (a button, its database write, the page edited)
and a meeting-logging step (typed text, the form's state written, the next question sent),
each through the full bot, against a bare aiogram dispatcher echoing text, in one run.

Beside them, what bounds a step from below: the SQL statements it runs (counted) and one
statement's round trip through SQLAlchemy's async driver, measured in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, Update
from sqlalchemy import event, text

from bench.surveys import Row, _survey, ratio
from bot.emulator.telegram import FakeTelegram
from bot.settings import Settings
from bot.testing import Harness
from bot.testing.client import TEST_TOKEN
from bot.testing.session import FakeSession

STEPS = 400


async def _timed(step: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await step()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await step()
        times.append(time.perf_counter() - started)
    return times


async def _bare() -> list[float]:
    telegram = FakeTelegram()
    telegram.register_user({"id": 42, "is_bot": False, "first_name": "x"})
    bot = Bot(TEST_TOKEN, session=FakeSession(telegram))
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    counter = iter(range(1, 10**9))

    async def step() -> None:
        message = telegram.user_message(42, text="测试")
        update = Update.model_validate({"update_id": next(counter), "message": message})
        await dispatcher.feed_update(bot, update)

    try:
        return await _timed(step, STEPS)
    finally:
        await bot.session.close()


async def _statement(h: Harness) -> float:
    """One trivial statement's round trip through the session, in seconds (median)."""
    async with h.app.db.sessions() as session:

        async def one() -> None:
            await session.execute(text("SELECT 1"))

        return statistics.median(await _timed(one, STEPS))


class _Counter:
    """Counts the SQL statements the engine runs (BEGIN and COMMIT included)."""

    def __init__(self, h: Harness) -> None:
        self.engine = h.app.db.engine.sync_engine
        self.count = 0

    def _seen(self, *_: object) -> None:
        self.count += 1

    def __enter__(self) -> _Counter:
        for name in ("before_cursor_execute", "commit"):
            event.listen(self.engine, name, self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        for name in ("before_cursor_execute", "commit"):
            event.remove(self.engine, name, self._seen)


def _stats(name: str, ours: list[float], bare: list[float]) -> list[Row]:
    p50, p99 = statistics.median(ours) * 1000, statistics.quantiles(ours, n=100)[98] * 1000
    return [
        Row(
            f"{name}: steps per second",
            f"{1 / statistics.mean(ours):.0f}/s",
            f"{1 / statistics.mean(bare):.0f}/s (bare aiogram echo)",
            ratio(statistics.mean(bare), statistics.mean(ours)),
            f"p50 {p50:.1f} ms",
            "≥ 1/3×",
        ),
        Row(f"{name}: p99 latency", f"{p99:.1f} ms", "—", "—", f"{STEPS} steps", "< 20 ms"),
    ]


async def throughput(settings: Settings, database: str) -> list[Row]:
    bare = await _bare()
    h = await Harness.start(settings)
    try:
        survey = await _survey(h)
        worker = h.user(7_500_000_000, "w")
        await worker.send(f"/start {survey.token}")
        await worker.press(f"sg:{survey.token}:1")
        with _Counter(h) as counted:
            answer = await _timed(lambda: worker.press(f"sa:{survey.id}:t:0"), STEPS)
        per_answer = counted.count / (STEPS + 1)

        instructor = h.user(1101, "李明")
        await instructor.send("/menu")
        await instructor.click("我的案件")
        await instructor.click("光谷电子有限公司")
        await instructor.click("记录协商会议")
        await instructor.click("今天 9:00")
        h.clock.advance(timedelta(seconds=1))

        times = []  # typing the place moves on to the next question; Back is not timed
        for _ in range(STEPS):
            started = time.perf_counter()
            await instructor.send("公司三楼会议室")
            times.append(time.perf_counter() - started)
            await instructor.click("上一步")
        assert not h.telegram.errors()
        statement = await _statement(h)
    finally:
        await h.close()
    floor = Row(
        f"one SQL statement's round trip ({database})",
        f"{statement * 1000:.2f} ms",
        f"{statistics.mean(bare) * 1000:.2f} ms (a whole bare echo step)",
        ratio(statement, statistics.mean(bare)),
        f"a survey answer runs {per_answer:.0f} statements with BEGIN and COMMIT",
    )
    return (
        _stats("survey answer step", answer, bare)
        + _stats("meeting-log step", times, bare)
        + [floor]
    )
