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
from bot.presentation import redline
from bot.presentation.document_views import _contract_parts
from bot.presentation.rendering import Renderer
from bot.presentation.word import Documents, render_file
from bot.services import clauses, contracts, documents
from bot.settings import LegalSettings, Settings
from bot.template_check import demo_contexts
from storage.models import CaseTopic, CaseType, Enterprise, TopicStatus

PARALLEL = 20
LONG = 60  # articles of the long contract


def long_contract(context: dict[str, Any], settings: Settings, now: datetime) -> dict[str, Any]:
    """The comprehensive contract with every Art. 8 topic agreed on the model text, and the
    parties' own topics, to at least LONG articles: the demo context with these chapters."""
    library = clauses.library()
    firm = Enterprise(
        name="光谷电子有限公司", credit_code="x", industry="电子", headcount=1200, women=300,
        has_union=True, address="x", contact="x", org_id=1, created_at=now,
    )  # fmt: skip
    known = contracts.values(
        kind="contract", year=now.year, enterprise=firm, union_party="光谷电子有限公司工会",
        answers={"term_years": "2", "rise_pct": "6", "enterprise_min_wage": "2400",
                 "pay_day": "15", "overtime_base": "职工本人上月基本工资", "shift_work": "yes"},
        legal=LegalSettings(), local_min_wage=2210, effective_on=None,
    )  # fmt: skip
    topics = [
        CaseTopic(
            case_id=0, key=key, status=TopicStatus.agreed, updated_at=now,
            agreed_text=library.model_text("contract", key, known, ""),
        )
        for key in library.negotiable("contract")
    ]  # fmt: skip
    number = 0
    while True:
        found = contracts.assemble(
            library, "contract", CaseType.comprehensive, topics, known, final=True,
            title_of=lambda t: t.title or t.key,
        )  # fmt: skip
        if len(found.articles) >= LONG:
            break
        number += 1
        topics.append(
            CaseTopic(
                case_id=0, key="custom", title=f"双方约定事项{number}", updated_at=now,
                status=TopicStatus.agreed, agreed_text="第一项约定。\n第二项约定。\n第三项约定。",
            )
        )  # fmt: skip
    return {**context, **_contract_parts(found, Renderer(settings.zone, "zh"))}


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


def _median(work: Callable[[], Any], runs: int) -> float:
    """The median seconds `work` takes."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


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

        long = long_contract(contexts["contract"], settings, now)
        path = docs.path("contract")
        long_file = render_file(path, long)
        long_median = _median(lambda: render_file(path, long), 9)
        rows.append(
            Row(
                f"{long['article_count']}-article contract render (median)",
                f"{long_median * 1000:.0f} ms",
                f"{times['contract'] * 1000:.0f} ms (the demo's draft)",
                ratio(long_median, times["contract"]),
                f"{len(long['chapters'])} chapters",
                "< 150 ms",
            )
        )
        lag_long = await _lag_while(
            lambda: asyncio.gather(*(docs.render("contract", long) for _ in range(PARALLEL)))
        )
        rows.append(
            Row(
                f"event-loop lag, {PARALLEL} parallel {long['article_count']}-article "
                "renders (p99)",
                f"{lag_long:.1f} ms",
                "—",
                "—",
                f"{settings.render_workers} render threads",
                "< 50 ms",
            )
        )
        # The redline: last year's contract against this one with two articles changed.
        changed = dict(long)
        changed["chapters"] = [dict(c, articles=list(c["articles"])) for c in long["chapters"]]
        for chapter in changed["chapters"][1:3]:
            first = chapter["articles"][0]
            chapter["articles"][0] = {**first, "text": first["text"] + "（本条已修改）"}
        before, after = long_file, render_file(path, changed)
        redline.compare(before, after, "bench", now)  # the engine unpacked and warm
        red_median = _median(lambda: redline.compare(before, after, "bench", now), 5)
        rows.append(
            Row(
                f"redline of a {long['article_count']}-article contract (median)",
                f"{red_median * 1000:.0f} ms",
                f"{long_median * 1000:.0f} ms (rendering it)",
                ratio(red_median, long_median),
                "python-redlines (Docxodus, a subprocess), off the event loop",
                "< 2 s",
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
