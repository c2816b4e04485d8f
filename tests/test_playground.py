"""The playground across restarts and beside a production database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import create_app
from bot.playground import (
    PLAYGROUND_TOKEN,
    last_update_id,
    playground_settings,
    seed_if_empty,
    start_emulator,
)
from bot.settings import Settings
from bot.testing.http import Person, text_of
from tests.conftest import make_settings
from tests.test_e2e_http import free_port


async def _session(settings: Settings, text: str) -> str:
    """Start the emulator and the bot as `xieshang playground` does, let the demo liaison
    send `text`, and return the bot's answer."""
    port = free_port()
    emulator, runner = await start_emulator("127.0.0.1", port)
    app = create_app(playground_settings(settings, "127.0.0.1", port), token=PLAYGROUND_TOKEN)
    polling = None
    try:
        await app.ensure_schema()
        emulator.resume_updates_after(await last_update_id(app))
        await seed_if_empty(app)
        polling = asyncio.create_task(
            app.dispatcher.start_polling(app.bot, handle_signals=False, polling_timeout=1)
        )
        liaison = Person(emulator, 1001)
        emulator.send_text(liaison.id, text)
        answer = await liaison.wait_for(lambda m: True, seconds=15)
        return text_of(answer)
    finally:
        if polling is not None:
            await app.dispatcher.stop_polling()
            await polling
        await app.close()
        await runner.cleanup()


async def test_the_playground_answers_at_once_after_a_restart(tmp_path: Path):
    settings = make_settings(
        "sqlite+aiosqlite:///unused.db",
        playground_database_url=f"sqlite+aiosqlite:///{tmp_path / 'playground.db'}",
    )
    assert "王芳" in await _session(settings, "/menu")
    # A new emulator numbers updates from 1 again, as after stopping the playground.
    assert "王芳" in await _session(settings, "/menu")


def test_the_playground_never_touches_database_url():
    production = "postgresql+asyncpg://xieshang@db.example.org/xieshang"
    settings = make_settings(production)
    tuned = playground_settings(settings, "127.0.0.1", 8080)
    assert tuned.database_url == settings.playground_database_url
    assert tuned.database_url != production
