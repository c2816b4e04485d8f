"""Survey benchmarks: a burst of workers answering through the real dispatcher, and the
results' aggregation at 1,000 and 10,000 answers, against loading every answer into Python.
Every figure is reported next to a reference measured in the same run, as a ratio."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import select

from bot.app import App
from bot.services import demo, survey_results, surveys
from bot.settings import Settings
from bot.testing import Harness
from storage.models import Survey, SurveyPick, SurveyResponse, User
from storage.repositories import random_id
from storage.uow import UnitOfWork

TOPICS = ("pay", "hours", "safety", "rest", "insurance", "training")


def rss_mb() -> float:
    """This process's resident memory, from /proc (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def ratio(value: float, reference: float) -> str:
    """2.4×, 0.35×, or 1/2,200× for tiny ratios."""
    if reference <= 0:
        return "—"
    found = value / reference
    return f"1/{1 / found:,.0f}×" if 0 < found < 0.05 else f"{found:.2f}×".replace(".00×", "×")


def bench_settings(url: str, **overrides: Any) -> Settings:
    """The bot's settings for a benchmark: its own database, no Redis, no throttling."""
    values: dict[str, Any] = {
        "database_url": url,
        "bot_token": None,
        "redis_url": None,
        "throttle_rate": 1000.0,
        "throttle_burst": 1000,
        "survey_key": "bench-survey-key",
        **overrides,
    }
    return Settings(_env_file=None, **values)


# One liaison or worker pressing as fast as a bench can: Telegram's per-chat pace would time
# the flow controller, not the step.
UNPACED = {
    "sender_chat_rate": 10_000.0,
    "sender_chat_burst": 10_000,
    "sender_global_rate": 10_000.0,
}


def print_rows(rows: list[Row]) -> None:
    """A section's rows as Markdown, for a bench run on its own."""
    for row in rows:
        cells = (row.name, row.value, row.reference, row.ratio, row.target, row.note)
        print("| " + " | ".join(cells) + " |")


@dataclass
class Row:
    name: str
    value: str
    reference: str
    ratio: str
    note: str = ""
    target: str = "—"


async def open_demo_survey(app: App, topics: tuple[str, ...] = TOPICS) -> Survey:
    """The demo data and an open survey on its wage case, asking every question."""
    now = app.clock.now()
    async with UnitOfWork(app.db.sessions) as uow:
        await demo.seed(uow, now, app.settings)
        owner = (
            await uow.session.execute(select(User).where(User.telegram_id == 1101))
        ).scalar_one()
        survey = await surveys.create(
            uow,
            owner,
            1,
            [surveys.topic_entry(k) for k in topics],
            list(surveys.QUESTIONS),
            None,
            now + timedelta(days=7),
            now,
            app.settings,
        )
        await surveys.publish(uow, owner, survey.id or 0, now, app.settings)
        await uow.commit()
        return survey


async def _survey(h: Harness) -> Survey:
    return await open_demo_survey(h.app)


async def _one_worker(h: Harness, telegram_id: int, survey: Survey, rng: random.Random) -> int:
    """Answer the survey as a worker would, button by button; returns the updates sent."""
    worker, sid = h.user(telegram_id, "w"), survey.id
    await worker.send(f"/start {survey.token}")
    await worker.press(f"sg:{survey.token}:1")
    chosen = rng.sample(range(len(TOPICS)), rng.randint(1, 4))
    for item in chosen:
        await worker.press(f"sa:{sid}:t:{item}")
    await worker.press(f"sa:{sid}:td:")
    ranked = chosen[:3] if len(chosen) > 1 else []
    for item in ranked:
        await worker.press(f"sa:{sid}:r:{item}")
    await worker.send(str(rng.randint(0, 150) / 10))
    await worker.press(f"sa:{sid}:st:{rng.choice(['frontline', 'frontline', 'junior', 'middle'])}")
    await worker.press(f"sa:{sid}:cm:-")
    await worker.press(f"sa:{sid}:ok:")
    return 7 + len(chosen) + len(ranked)


async def burst(settings: Settings, workers: int, concurrency: int) -> list[Row]:
    h = await Harness.start(settings)
    try:
        survey = await _survey(h)
        rng = random.Random(7)
        # The reference: the cheapest update there is (an unknown command) through the same
        # dispatcher, so the ratio shows what the survey pages cost on top of the framework.
        probe = h.user(8_000_000_000, "probe")
        started = time.perf_counter()
        for _ in range(200):
            await probe.send("/nothing")
        per_update_floor = (time.perf_counter() - started) / 200

        idle_rss = rss_mb()
        semaphore = asyncio.Semaphore(concurrency)
        counts: list[int] = []

        async def run(i: int) -> None:
            async with semaphore:
                counts.append(await _one_worker(h, 7_000_000_000 + i, survey, rng))

        started = time.perf_counter()
        await asyncio.gather(*(run(i) for i in range(workers)))
        elapsed = time.perf_counter() - started
        async with UnitOfWork(h.app.db.sessions) as uow:
            stored = await uow.surveys.total(survey.id or 0)
        assert stored == workers, (stored, workers)
        assert not h.telegram.errors()
        burst_rss = rss_mb()
    finally:
        await h.close()
    per_hour = workers / elapsed * 3600
    per_update = elapsed / sum(counts)
    return [
        Row(
            "answers per hour (burst)",
            f"{per_hour:,.0f}",
            "10,000 (the issue's large enterprise)",
            ratio(per_hour, 10_000),
            f"{workers} workers, {concurrency} at a time, {sum(counts)} updates",
            "≥ 1× (10,000 an hour)",
        ),
        Row(
            "time per survey update",
            f"{per_update * 1000:.2f} ms",
            f"{per_update_floor * 1000:.2f} ms (an unknown command)",
            ratio(per_update, per_update_floor),
        ),
        Row(
            "resident memory after the burst",
            f"{burst_rss:.0f} MB",
            f"{idle_rss:.0f} MB idle (bot started, before the burst)",
            ratio(burst_rss, idle_rss),
            "the whole bench process: bot, in-memory Telegram and its chats",
        ),
    ]


async def _fill(h: Harness, survey_id: int, n: int, rng: random.Random) -> None:
    """n released answers written in bulk (what the burst would leave behind)."""
    async with UnitOfWork(h.app.db.sessions) as uow:
        responses, picks = [], []
        for i in range(n):
            response_id = random_id()
            responses.append(
                {
                    "id": response_id,
                    "survey_id": survey_id,
                    "rise": rng.choice([None, *range(0, 200, 5)]),
                    "stratum": rng.choice(
                        [None, "frontline", "frontline", "junior", "middle", "senior"]
                    ),
                    "comment": rng.choice(["", "", "", f"意见 {i}"]),
                }
            )
            chosen = rng.sample(range(len(TOPICS)), rng.randint(1, 4))
            picks += [
                {"response_id": response_id, "rank": 0, "item": i, "survey_id": survey_id}
                for i in chosen
            ]
            picks += [
                {"response_id": response_id, "rank": r, "item": i, "survey_id": survey_id}
                for r, i in enumerate(chosen[:3], start=1)
            ]
        await uow.session.execute(insert(SurveyResponse), responses)
        await uow.session.execute(insert(SurveyPick), picks)
        await uow.commit()


async def _timed_aggregate(h: Harness, survey: Survey, repeat: int = 5) -> tuple[float, int]:
    """Median time over `repeat` runs; peak memory of the last (warm) run."""
    times, peak = [], 0
    for _ in range(repeat):
        async with UnitOfWork(h.app.db.sessions) as uow:
            found = await uow.surveys.get(survey.id or 0)
            assert found is not None
            tracemalloc.start()
            started = time.perf_counter()
            await survey_results.aggregate(uow, found, h.clock.now(), h.app.settings)
            times.append(time.perf_counter() - started)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return statistics.median(times), peak


async def _timed_naive(h: Harness, survey: Survey) -> tuple[float, int]:
    """The reference: every answer and pick loaded and counted in Python."""
    async with UnitOfWork(h.app.db.sessions) as uow:
        tracemalloc.start()
        started = time.perf_counter()
        rows = (
            (
                await uow.session.execute(
                    select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
                )
            )
            .scalars()
            .all()
        )
        picks = (
            (await uow.session.execute(select(SurveyPick).where(SurveyPick.survey_id == survey.id)))
            .scalars()
            .all()
        )
        rises = sorted(r.rise for r in rows if r.rise is not None)
        statistics.quantiles(rises, n=4)
        counts: dict[int, int] = {}
        for pick in picks:
            counts[pick.item] = counts.get(pick.item, 0) + 1
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak


async def aggregation(settings: Settings, small: int, large: int) -> list[Row]:
    h = await Harness.start(settings)
    try:
        survey = await _survey(h)
        rng = random.Random(11)
        await _fill(h, survey.id or 0, small, rng)
        t_small, m_small = await _timed_aggregate(h, survey)
        await _fill(h, survey.id or 0, large - small, rng)
        t_large, m_large = await _timed_aggregate(h, survey)
        t_naive, m_naive = await _timed_naive(h, survey)
    finally:
        await h.close()
    return [
        Row(
            f"aggregation at {large:,} answers",
            f"{t_large * 1000:.1f} ms",
            f"{t_small * 1000:.1f} ms at {small:,}",
            f"{ratio(t_large, t_small)} for {large // small}× the answers",
            target="< 200 ms",
        ),
        Row(
            f"aggregation vs loading every answer ({large:,})",
            f"{t_large * 1000:.1f} ms",
            f"{t_naive * 1000:.1f} ms (rows into Python)",
            ratio(t_large, t_naive),
        ),
        Row(
            f"aggregation peak memory ({large:,})",
            f"{m_large / 1024:.0f} KiB",
            f"{m_small / 1024:.0f} KiB at {small:,}; {m_naive / 1024:.0f} KiB loading rows",
            f"{ratio(m_large, m_small)}; {ratio(m_large, m_naive)}",
        ),
    ]
