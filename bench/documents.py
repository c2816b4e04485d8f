"""Document benchmarks: the time to render each Word type, and how late the event loop runs
while many renders are under way, with the bounded thread pool against rendering on the
loop itself (what the pool exists to prevent) and against an idle loop."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bench.surveys import Row, ratio
from bot.offload import Offloader
from bot.presentation.word import Documents, render_file
from bot.services import documents
from bot.settings import Settings
from bot.template_check import demo_contexts

PARALLEL = 20


async def _lag_while(work: Callable[[], Awaitable[Any]], tick: float = 0.005) -> float:
    """The 99th percentile of how late a 5 ms timer fires while `work` runs, in ms."""
    late: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(tick)
            late.append((time.perf_counter() - started - tick) * 1000)

    timer = asyncio.create_task(ticker())
    try:
        await work()
    finally:
        done.set()
        await timer
    return statistics.quantiles(late, n=100)[98] if len(late) >= 2 else 0.0


async def renders(settings: Settings) -> list[Row]:
    now = datetime.now(UTC)
    contexts = await demo_contexts(settings, now)
    offload = Offloader(settings.render_workers)
    docs = Documents(offload)
    rows = []
    try:
        times: dict[str, float] = {}
        runs: dict[str, list[float]] = {}
        for kind in documents.KINDS:
            path = docs.path(kind)
            render_file(path, contexts[kind])  # warm the template cache
            runs[kind] = []
            for _ in range(7):
                started = time.perf_counter()
                render_file(path, contexts[kind])
                runs[kind].append(time.perf_counter() - started)
            times[kind] = statistics.median(runs[kind])
        slowest = max(times, key=times.__getitem__)
        fastest = min(times, key=times.__getitem__)
        rows.append(
            Row(
                "contract draft render (median)",
                f"{times['contract'] * 1000:.0f} ms",
                f"{times[min(times, key=times.__getitem__)] * 1000:.0f} ms (the quickest type)",
                ratio(times["contract"], min(times.values())),
                target="< 150 ms",
            )
        )
        rows.append(
            Row(
                "render time per document (slowest type)",
                f"{times[slowest] * 1000:.0f} ms ({slowest})",
                f"{times[fastest] * 1000:.0f} ms ({fastest})",
                ratio(times[slowest], times[fastest]),
                f"median of the ten: {statistics.median(times.values()) * 1000:.0f} ms",
            )
        )

        kinds = [documents.KINDS[i % len(documents.KINDS)] for i in range(PARALLEL)]

        async def pooled() -> None:
            await asyncio.gather(*(docs.render(k, contexts[k]) for k in kinds))

        async def on_loop() -> None:
            for k in kinds:
                render_file(docs.path(k), contexts[k])
                await asyncio.sleep(0)

        idle = await _lag_while(lambda: asyncio.sleep(1.0))
        started = time.perf_counter()
        lag_pool = await _lag_while(pooled)
        pooled_seconds = time.perf_counter() - started
        lag_loop = await _lag_while(on_loop)
        rows.append(
            Row(
                f"event-loop lag, {PARALLEL} parallel renders (p99)",
                f"{lag_pool:.1f} ms",
                f"{lag_loop:.1f} ms rendering on the loop; {idle:.1f} ms idle",
                ratio(lag_pool, lag_loop),
                f"{settings.render_workers} render threads; all {PARALLEL} took "
                f"{pooled_seconds:.1f} s",
                "< 50 ms",
            )
        )
    finally:
        offload.close()
    return rows
