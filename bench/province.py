"""Each liaison screen at province scale against the same screen on the small demo
(issue 21): the province liaison (1000, 116 unions, 300 instructors, 6,000 cases) and the
demo's city liaison (1001, one county, two instructors, one case) press the same menu
buttons through the real dispatcher; p95 of 60 presses after three to warm up. A screen that
reads its whole subtree instead of a page shows as a ratio far above 1.

    python -m bench.province          # prints the table
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.surveys import UNPACED, Row, bench_settings, print_rows, ratio
from bot.callbacks import (
    AssessAct,
    AssessCB,
    ExpenseAct,
    ExpenseCB,
    Menu,
    MenuCB,
    RosterAct,
    RosterCB,
)
from bot.memory import settle
from bot.services import demo
from bot.services.province import PROVINCE_LIAISON, Scale, seed_province
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from storage.db import optimize
from storage.uow import UnitOfWork

SECTION = (
    "## Liaison screens at province scale (SQLite)\n\n"
    "The province data set (`xieshang demo seed --province`: 116 unions, 300 instructors, "
    "6,000 cases) against the demo (one county, two instructors, one case), the same menu "
    "button pressed by the province liaison and by the demo's city liaison. A list shows up "
    "to a page (10 rows) at province scale and the demo's one or two rows, so a ratio up to "
    "about 2× is the page filling, not the subtree's size. The assessment ranking needs a year "
    "of every instructor's work (each is scored against the best of the cohort): it reads each "
    "person's kept tally and counts again only those whose work changed since; its two extra "
    "rows time a press after one instructor's work changed (one person counted again) and the "
    "first press with no tallies kept (everyone counted, as after a new year or an upgrade)."
)
SCREENS = (
    Menu.cases,
    Menu.roster,
    Menu.assessment,
    Menu.assignments,
    Menu.trainings,
    Menu.expenses,
    Menu.pending,
    Menu.invites,
    Menu.broadcast,
    Menu.guideline,
)
CHANGED = "assessment, one instructor's work changed before each press"
FIRST = "assessment, first press with no tallies kept (one press)"
PRESSES, WARM = 60, 3
TARGET = 1.5
EXPORTS = {  # the chat's 📥 buttons whose file grows with the subtree
    "roster": RosterCB(action=RosterAct.export).pack(),
    "assessment": AssessCB(action=AssessAct.export).pack(),
    "expenses": ExpenseCB(action=ExpenseAct.export).pack(),
}
EXPORT_SECONDS, EXPORT_MIB = 5.0, 64.0  # a press to the file in the chat; its peak heap


async def _board_export(h: Harness) -> tuple[float, float, int, str]:
    """The dashboard's 📥 over HTTP as the province liaison: every case of the province in
    one workbook, read 500 at a time, sent to the chat (as `_export` measures)."""
    import tracemalloc

    from aiohttp.test_utils import TestClient, TestServer

    from bot import webapp
    from bot.emulator.server import sign_init_data
    from bot.testing.client import TEST_TOKEN

    client = TestClient(TestServer(webapp.application(h.app)))
    await client.start_server()
    try:
        user = {"id": PROVINCE_LIAISON, "first_name": "省总", "language_code": "zh"}

        async def once() -> int:
            signed = sign_init_data(TEST_TOKEN, user, auth_date=int(h.clock.now().timestamp()))
            signed_in = await client.post("/app/api/board/session", json={"init_data": signed})
            session = (await signed_in.json())["session"]
            sent = await client.post("/app/api/board/export", json={"session": session})
            return sent.status

        started = time.perf_counter()
        status = await once()
        seconds = time.perf_counter() - started
        tracemalloc.start()
        try:
            await once()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        size = len(h.user(PROVINCE_LIAISON, "省总").last_file().content)
    finally:
        await client.close()
    return seconds, peak / 2**20, size, "" if status == 200 else f"HTTP {status}"


async def _export(liaison: ChatUser, data: str) -> tuple[float, float, int, str]:
    """Seconds from the press to the file, the Python heap's peak over the press (MiB,
    tracemalloc, a second press), the file's size, and what went wrong."""
    import tracemalloc

    await liaison.send("/menu")
    started = time.perf_counter()
    reply = await liaison.press(data)
    seconds = time.perf_counter() - started
    files = [m for m in reply.messages if m.get("document")]
    wrong = "" if files else (reply.text or str(reply.errors))[:80]
    tracemalloc.start()
    try:
        await liaison.press(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = len(liaison.last_file().content) if files else 0
    return seconds, peak / 2**20, size, wrong


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)


async def _press_times(liaison: ChatUser, screen: Menu) -> tuple[float, str]:
    """p95 seconds of a press, and what went wrong ("" when the screen answered)."""
    data = MenuCB(action=screen).pack()
    times = []
    wrong = ""
    for n in range(WARM + PRESSES):
        await liaison.send("/menu")
        started = time.perf_counter()
        reply = await liaison.press(data)
        if n >= WARM:
            times.append(time.perf_counter() - started)
        failed = [c for c in reply.errors if "not modified" not in str(c.error)]
        if failed or "出了点问题" in reply.text or "没有权限" in reply.text:
            wrong = wrong or (reply.text or str(reply.errors))[:80]
    return _p95(times), wrong


async def _changed_times(h: Harness, liaison: ChatUser) -> tuple[float, float, str]:
    """The assessment's p95 when one instructor's work changed before each press (a
    problem report, recorded outside the timing), and its first press with no tallies."""
    from sqlalchemy import delete, func, select
    from sqlmodel import col

    from storage.models import ProblemReport, ReportStatus, Role, User, WorkTally

    data = MenuCB(action=Menu.assessment).pack()
    async with UnitOfWork(h.app.db.sessions) as uow:
        people = (
            await uow.session.execute(
                select(col(User.id), col(User.org_id))
                .where(col(User.role) == Role.instructor)
                .limit(PRESSES)
            )
        ).all()
    times, wrong = [], ""
    for n in range(WARM + PRESSES):
        uid, org = people[n % len(people)]
        async with UnitOfWork(h.app.db.sessions) as uow:
            uow.session.add(
                ProblemReport(
                    reporter_id=uid or 0,
                    org_id=org,
                    category="other",
                    urgent=False,
                    text="bench",
                    status=ReportStatus.open,
                    created_at=h.clock.now(),
                )
            )
            await uow.commit()
        await liaison.send("/menu")
        started = time.perf_counter()
        reply = await liaison.press(data)
        if n >= WARM:
            times.append(time.perf_counter() - started)
        if "出了点问题" in reply.text:
            wrong = wrong or reply.text[:80]
    async with UnitOfWork(h.app.db.sessions) as uow:
        await uow.session.execute(delete(WorkTally))
        await uow.commit()
        assert not (await uow.session.execute(select(func.count()).select_from(WorkTally))).scalar()
    await liaison.send("/menu")
    started = time.perf_counter()
    await liaison.press(data)
    return _p95(times), time.perf_counter() - started, wrong


async def _screens(
    settings: Settings,
    province: bool,
    scale: Scale,
    exported: dict[str, tuple[float, float, int, str]],
) -> dict[Any, tuple[float, str]]:
    h = await Harness.start(settings)
    try:
        if province:
            await seed_province(h.app.db.sessions, h.clock.now(), h.app.settings, scale)
        else:
            async with UnitOfWork(h.app.db.sessions) as uow:
                await demo.seed(uow, h.clock.now(), h.app.settings)
                await uow.commit()
        await optimize(h.app.db.engine)  # as the bot does at start and every ten minutes
        settle()  # as the running bot does once started (bot/memory.py)
        liaison = h.user(PROVINCE_LIAISON if province else 1001, "联络员")
        pressed: dict[Any, tuple[float, str]] = {
            screen: await _press_times(liaison, screen) for screen in SCREENS
        }
        changed, first, wrong = await _changed_times(h, liaison)
        pressed[CHANGED] = changed, wrong
        pressed[FIRST] = first, wrong
        if province:
            for name, data in EXPORTS.items():
                exported[name] = await _export(liaison, data)
            exported["dashboard cases (every case, 500 at a time)"] = await _board_export(h)
        return pressed
    finally:
        await h.close()


def _settings(url: str) -> Settings:
    return bench_settings(url, **UNPACED)


async def screens(folder: Path, scale: Scale | None = None) -> list[Row]:
    scale = scale or Scale()
    exported: dict[str, tuple[float, float, int, str]] = {}
    small = await _screens(_settings(f"sqlite+aiosqlite:///{folder}/demo.db"), False, scale, {})
    big = await _screens(
        _settings(f"sqlite+aiosqlite:///{folder}/province.db"), True, scale, exported
    )
    rows = []
    for screen in (*SCREENS, CHANGED, FIRST):
        (value, wrong), (reference, small_wrong) = big[screen], small[screen]
        name = f"`{screen.value}`" if isinstance(screen, Menu) else screen
        rows.append(
            Row(
                f"liaison screen {name}"
                + ("" if screen == FIRST else f", p95 of {PRESSES} presses"),
                f"{value * 1000:.1f} ms (province)",
                f"{reference * 1000:.1f} ms (demo)",
                ratio(value, reference),
                wrong or small_wrong,
                "— (once per person and year)" if screen == FIRST else f"≤ {TARGET}×",
            )
        )
    for name, (seconds, peak, size, wrong) in exported.items():
        rows.append(
            Row(
                f"📥 {name} export at province scale: press to file, and the heap's peak",
                f"{seconds:.2f} s, {peak:.1f} MiB",
                f"{size / 1024:.0f} KiB file",
                "—",
                wrong,
                f"≤ {EXPORT_SECONDS:.0f} s, ≤ {EXPORT_MIB:.0f} MiB",
            )
        )
    return rows


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print_rows(await screens(Path(tmp)))


if __name__ == "__main__":
    asyncio.run(_main())
