"""The local playground: the Bot API emulator with its web chat, the real bot polling it,
demo data on first start. No Telegram, no token."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web
from sqlalchemy.engine import make_url

from bot import webapp
from bot.app import App, create_app
from bot.clock import ShiftedClock
from bot.emulator.server import Emulator, create_emulator_app
from bot.emulator.telegram import FakeTelegram
from bot.runner import stop_on_signals
from bot.services import demo
from bot.settings import Settings
from storage.db import optimize
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
PLAYGROUND_TOKEN = "1000000001:PLAYGROUND-local-emulator-token"
TELEGRAM_RATE = 30.0  # the playground enforces Telegram's flood limits, as production meets them


async def seed_if_empty(app: App, province: bool = False) -> bool:
    if province:
        from bot.services.province import seed_province

        made = await seed_province(app.db.sessions, app.clock.now(), app.settings, progress=print)
        return made is not None
    async with UnitOfWork(app.db.sessions) as uow:
        created = await demo.seed(uow, app.clock.now(), app.settings)
        await uow.commit()
    return created


async def last_update_id(app: App) -> int:
    """Telegram's update ids never go back; the emulator's must go on after the last one
    this database handled, or a restarted playground would skip its first messages."""
    async with UnitOfWork(app.db.sessions) as uow:
        return await uow.updates.last()


def clock_file(settings: Settings) -> Path | None:
    """Where the playground keeps how many days its clock was moved on: beside its SQLite
    database (none for another database)."""
    url = make_url(settings.playground_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(f"{url.database}.days")


def playground_settings(settings: Settings, host: str, port: int) -> Settings:
    """The bot against the local emulator, on the playground's own database
    (PLAYGROUND_DATABASE_URL): never DATABASE_URL, which may be production's."""
    return settings.model_copy(
        update={
            "bot_api_url": f"http://{host}:{port}",
            "webhook_url": None,
            # The Mini App on the next port but one (the web chat opens it in an overlay).
            "public_url": f"http://{host}:{port + 2}",
            "webapp_host": host,
            "webapp_port": port + 2,
            "database_url": settings.playground_database_url,
        }
    )


async def start_emulator(
    host: str, port: int, rate_limit: float | None = None
) -> tuple[Emulator, web.AppRunner]:
    telegram = FakeTelegram(
        bot_id=int(PLAYGROUND_TOKEN.split(":")[0]),
        bot_username="xieshang_playground_bot",
        rate_limit=rate_limit,
    )
    emulator = Emulator(telegram, PLAYGROUND_TOKEN)
    # Open long polls (the web chat's and getUpdates) must not hold up a Ctrl+C.
    runner = web.AppRunner(create_emulator_app(emulator), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    for persona in demo.PERSONAS:
        emulator.persona(persona.telegram_id, persona.name, persona.language)
    return emulator, runner


async def run_playground(
    settings: Settings, host: str = "127.0.0.1", port: int = 8080, province: bool = False
) -> None:
    emulator, runner = await start_emulator(host, port, rate_limit=TELEGRAM_RATE)
    if province:
        from bot.services.province import FIRST_INSTRUCTOR, PROVINCE_LIAISON

        emulator.persona(PROVINCE_LIAISON, "省总工会联络员", "zh")
        emulator.persona(FIRST_INSTRUCTOR, "全省数据指导员", "zh")
    clock = ShiftedClock(clock_file(settings))
    emulator.clock = clock  # the web chat's "⏩" moves the bot's day on
    app = create_app(playground_settings(settings, host, port), clock=clock, token=PLAYGROUND_TOKEN)
    stop = stop_on_signals()
    try:
        await app.ensure_schema()
        emulator.resume_updates_after(await last_update_id(app))
        if await seed_if_empty(app, province):
            log.info("demo data created")
            await optimize(app.db.engine)
        print(
            f"\n  Xieshang playground: open http://{host}:{port}/  (Ctrl+C to stop)\n", flush=True
        )
        mini_app = await webapp.serve(app)
        polling = asyncio.create_task(
            app.dispatcher.start_polling(app.bot, handle_signals=False, polling_timeout=20)
        )
        await stop.wait()
        await app.dispatcher.stop_polling()
        await polling
        if mini_app is not None:
            await mini_app.cleanup()
    finally:
        await app.close()
        await runner.cleanup()
        print("playground stopped", flush=True)
