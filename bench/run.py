"""Run the benchmarks and write docs/benchmarks.md.

    python -m bench.run [--workers N] [--quick]

Each figure stands next to a reference measured in the same run, and the ratio between them
is what to compare across machines; absolute times depend on the machine. SQLite always;
PostgreSQL too when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    broadcasts,
    documents,
    flow,
    memory,
    province,
    reminders,
    scaleout,
    steps,
    surveys,
    webapp,
)
from bench.surveys import UNPACED, Row, bench_settings
from bot.settings import Settings

OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _settings(url: str) -> Settings:
    return bench_settings(url)


def _unpaced(url: str) -> Settings:
    """The bot's own capacity, Telegram's 30 messages a second aside: at that pace a chat
    answer (about thirteen messages) is 2.3 answers a second whatever the bot does — the
    Mini App section sets the two side by side."""
    return bench_settings(url, **UNPACED)


async def _postgres_url(base: str) -> str:
    """A fresh schema-less database state: drop and recreate the public schema."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(base)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    return base


def _table(rows: list[Row]) -> list[str]:
    return [
        "| measure | value | reference (same run) | ratio | target | note |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r.name} | {r.value} | {r.reference} | {r.ratio} | {r.target} | {r.note} |"
            for r in rows
        ),
    ]


def _fresh_sqlite(url: str) -> None:
    Path(url.split("///", 1)[1]).unlink(missing_ok=True)


async def _databases(tmp: Path) -> list[tuple[str, str]]:
    found = [("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db")]
    if os.environ.get("TEST_POSTGRES_URL"):
        found.append(("PostgreSQL", os.environ["TEST_POSTGRES_URL"]))
    return found


async def _surveys_on(
    name: str, url: str, workers: int, concurrency: int, small: int, large: int
) -> list[Row]:
    rows: list[Row] = []
    scenarios: list[Callable[[Settings], Awaitable[list[Row]]]] = [
        lambda s: surveys.burst(s, workers, concurrency),
        lambda s: surveys.aggregation(s, small, large),
        reminders.idle_tick,
    ]
    for scenario in scenarios:
        if url.startswith("sqlite"):
            _fresh_sqlite(url)
        else:
            await _postgres_url(url)
        rows += await scenario(_unpaced(url))
        print(f"{name}: {rows[-1].name} done", file=sys.stderr)
    return rows


async def _steps_on(name: str, url: str) -> list[Row]:
    if url.startswith("sqlite"):
        _fresh_sqlite(url)
    else:
        await _postgres_url(url)
    return await steps.throughput(_unpaced(url), name)


def _in_child(scenario: Callable[..., Coroutine[Any, Any, list[Row]]], *args: object) -> list[Row]:
    """Run a scenario in a fresh process, so that its memory figures and its garbage
    collector's work do not carry what an earlier scenario left behind."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_run_async, scenario, *args).result()


def _run_async(scenario: Callable[..., Coroutine[Any, Any, list[Row]]], *args: object) -> list[Row]:
    return asyncio.run(scenario(*args))


async def main(workers: int, concurrency: int, small: int, large: int) -> str:
    sections = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in await _databases(Path(tmp)):
            rows = _in_child(_surveys_on, name, url, workers, concurrency, small, large)
            table = _table(rows)
            sections.append(f"## Surveys and reminders on {name}\n\n" + "\n".join(table))
        _fresh_sqlite(f"sqlite+aiosqlite:///{tmp}/late.db")
        late = await reminders.lateness(_settings(f"sqlite+aiosqlite:///{tmp}/late.db"))
        sections.append("## Reminder delivery (SQLite, wall clock)\n\n" + "\n".join(_table(late)))
        for name, url in await _databases(Path(tmp)):
            steps_rows = _in_child(_steps_on, name, url)
            sections.append(f"## Flow steps ({name})\n\n" + "\n".join(_table(steps_rows)))
        sent = await broadcasts.rates(_settings(f"sqlite+aiosqlite:///{tmp}/broadcasts.db"))
        sections.append("## Broadcasts over HTTP (emulator)\n\n" + "\n".join(_table(sent)))
        paced = await flow.all_rows(_settings(f"sqlite+aiosqlite:///{tmp}/flow.db"))
        sections.append(flow.SECTION + "\n\n" + "\n".join(_table(paced)))
        rows = await documents.renders(_settings(f"sqlite+aiosqlite:///{tmp}/documents.db"))
        sections.append("## Word documents\n\n" + "\n".join(_table(rows)))
        pages = await webapp.submissions(Path(tmp))
        sections.append("## The survey as a Mini App (HTTP)\n\n" + "\n".join(_table(pages)))
        postgres, redis = os.environ.get("TEST_POSTGRES_URL"), os.environ.get("TEST_REDIS_URL")
        if postgres and redis:
            out = await scaleout.scale_out(postgres, redis)
            sections.append(scaleout.SECTION + "\n\n" + "\n".join(_table(out)))
        idle = await memory.idle(Path(tmp)) + await memory.after_burst(Path(tmp))
        sections.append("## Memory (processes)\n\n" + "\n".join(_table(idle)))
        screens = _in_child(province.screens, Path(tmp))
        sections.append(province.SECTION + "\n\n" + "\n".join(_table(screens)))
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m bench.run`). Compare the ratios: each figure is "
        "measured next to its reference in the same run, on the same machine.\n\n"
        f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs\n"
        "- workers answer through the real dispatcher and the in-memory Telegram, every "
        "button a separate update with its own transaction\n"
        "- the survey sections and the flow steps each run in a fresh process, so memory and "
        "the garbage collector start from the same state\n"
    )
    return header + "\n" + "\n\n".join(sections) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    small, large = (100, 1000) if args.quick else (1000, 10_000)
    workers = 50 if args.quick else args.workers
    report = asyncio.run(main(workers, args.concurrency, small, large))
    if not args.quick:
        OUT.write_text(report, encoding="utf-8")
    print(report)
