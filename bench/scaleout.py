"""Scale-out (issue 21): N `xieshang run` webhook processes on one PostgreSQL and Redis,
N = 1, 2, 4, behind the emulator (its flood limits off: this measures the bot, not
Telegram). The bench delivers UPDATES updates round-robin, CONCURRENCY in flight — each a
worker opening a survey's link, a database read and a reply — and counts steps per second;
each webhook call returns once its update is handled and its reply sent.

    TEST_POSTGRES_URL=postgresql+asyncpg://… TEST_REDIS_URL=redis://… python -m bench.scaleout
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

import aiohttp

from bench.flow import _open_survey, _port, fresh_services, webhook_processes
from bench.surveys import Row, bench_settings, print_rows, ratio
from bot.app import create_app
from bot.playground import PLAYGROUND_TOKEN, start_emulator

SECTION = (
    "## Scale-out: webhook processes on one PostgreSQL and Redis\n\n"
    "Each process is `xieshang run` with a webhook; the bench delivers the updates round-robin "
    "as a load balancer would, the emulator's flood limits off. On this 2-core machine the "
    "processes share the CPUs with PostgreSQL, Redis, the emulator and the bench: the CPUs, "
    "not the database, are the limit (two processes use both; four only add switching)."
)
PROCESSES = (1, 2, 4)
UPDATES = 1200
CONCURRENCY = 32
WORKER_BASE = 7_300_000_000
SECRET = "bench-scale-out"


async def _run(postgres_url: str, redis_url: str, processes: int) -> tuple[float, float]:
    """Steps per second and p99 seconds with `processes` webhook processes."""
    await fresh_services(postgres_url, redis_url)
    port = _port()
    emulator, runner = await start_emulator("127.0.0.1", port, rate_limit=None)
    setup = create_app(
        bench_settings(postgres_url, survey_key="bench-scale-out-key"), token=PLAYGROUND_TOKEN
    )
    try:
        await setup.migrate()
        token = await _open_survey(setup)
    finally:
        await setup.close()
    env = {
        **os.environ,
        "BOT_TOKEN": PLAYGROUND_TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "WEBHOOK_URL": "https://bot.example.org",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "SURVEY_KEY": "bench-scale-out-key",
        "THROTTLE_RATE": "1000",
        "THROTTLE_BURST": "1000",
        "SENDER_GLOBAL_RATE": "100000",
        "SENDER_CHAT_RATE": "100000",
        "SENDER_CHAT_BURST": "100000",
    }
    ports = [_port() for _ in range(processes)]
    try:
        async with webhook_processes(env, ports):
            emulator.telegram.webhook.clear()  # the bench delivers
            for i in range(UPDATES):
                emulator.persona(WORKER_BASE + i, f"工人{i}", "zh")
            updates = []
            for i in range(UPDATES):
                updates.append(emulator.send_text(WORKER_BASE + i, f"/start {token}"))
            emulator.updates.clear()
            gate = asyncio.Semaphore(CONCURRENCY)
            latencies: list[float] = []
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with aiohttp.ClientSession() as http:

                async def deliver(index: int, update: dict[str, Any]) -> None:
                    url = f"http://127.0.0.1:{ports[index % processes]}/webhook"
                    async with gate:
                        started = time.perf_counter()
                        async with http.post(url, json=update, headers=headers) as response:
                            await response.read()
                        latencies.append(time.perf_counter() - started)

                started = time.perf_counter()
                await asyncio.gather(*(deliver(i, u) for i, u in enumerate(updates)))
                elapsed = time.perf_counter() - started
            replied = sum(
                1 for c in emulator.telegram.calls if c.method == "sendMessage" and c.error is None
            )
            if replied < UPDATES:
                raise RuntimeError(f"{replied} of {UPDATES} updates answered")
    finally:
        await runner.cleanup()
    return UPDATES / elapsed, statistics.quantiles(latencies, n=100)[98]


async def scale_out(postgres_url: str, redis_url: str) -> list[Row]:
    found = {n: await _run(postgres_url, redis_url, n) for n in PROCESSES}
    one = found[1][0]
    cores = os.cpu_count() or 1
    return [
        Row(
            f"{n} webhook process{'es' if n > 1 else ''} (PostgreSQL, Redis): steps per second",
            f"{rate:.0f}/s",
            f"{one:.0f}/s (one process)",
            ratio(rate, one),
            f"p99 {p99 * 1000:.0f} ms; {UPDATES:,} updates, {CONCURRENCY} in flight; "
            f"{cores} CPUs for the processes, PostgreSQL, Redis, the emulator and the bench",
            "grows with N until a limit",
        )
        for n, (rate, p99) in found.items()
    ]


async def _main() -> None:
    postgres = os.environ["TEST_POSTGRES_URL"]
    redis = os.environ["TEST_REDIS_URL"]
    print_rows(await scale_out(postgres, redis))


if __name__ == "__main__":
    asyncio.run(_main())
