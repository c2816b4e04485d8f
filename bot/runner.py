"""Running the bot: long polling by default; a webhook server when WEBHOOK_URL is set
(bot/webhook.py, imported only then: a polling bot loads no HTTP server, nor the Mini App
unless PUBLIC_URL is set)."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import App

log = logging.getLogger(__name__)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (Ctrl+C, a service manager's stop), for a server
    that runs until told to stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_polling(app: App) -> None:
    await app.ensure_schema()
    mini_app = None
    if app.settings.public_url:  # the survey page and the dashboard
        from bot import webapp

        mini_app = await webapp.serve(app)
    me = await app.bot.me()
    log.info("polling as @%s", me.username)
    await app.bot.delete_webhook(drop_pending_updates=False)
    try:
        await app.dispatcher.start_polling(
            app.bot, allowed_updates=app.dispatcher.resolve_used_update_types()
        )
    finally:
        if mini_app is not None:
            await mini_app.cleanup()
