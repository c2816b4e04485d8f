"""The webhook server: Telegram's updates over HTTPS (WEBHOOK_URL), the Mini App beside
them when PUBLIC_URL is set."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiogram import Bot
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import ValidationError

from bot import webapp
from bot.app import App
from bot.runner import stop_on_signals

log = logging.getLogger(__name__)


UPDATE_ID_MAX = 2**63 - 1  # what the processed-update guard can store


class CheckedRequestHandler(SimpleRequestHandler):
    """aiogram's webhook handler, refusing what is not an update with 400 and one log line
    instead of a traceback and a 500: malformed or empty JSON, an array, no `update_id`,
    an `update_id` out of range, fields of the wrong shape."""

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            payload: Any = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
            update_id = payload.get("update_id")
            if type(update_id) is not int or not 0 <= update_id <= UPDATE_ID_MAX:
                raise ValueError("no valid update_id")
            update = Update.model_validate(payload, context={"bot": bot})
        except (ValueError, ValidationError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            log.warning("webhook: refused a request of %s bytes: %s", len(body), reason)
            return web.Response(status=400, text="Bad Request")
        result: Any = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


def webhook_application(app: App) -> web.Application:
    """The aiohttp application serving Telegram's webhook calls.

    Requests without the right X-Telegram-Bot-Api-Secret-Token header are refused (401).
    """
    settings = app.settings
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    web_app = web.Application()
    CheckedRequestHandler(
        dispatcher=app.dispatcher, bot=app.bot, secret_token=secret, handle_in_background=False
    ).register(web_app, path=settings.webhook_path)
    setup_application(web_app, app.dispatcher, bot=app.bot)
    if settings.public_url:
        web_app.add_routes(webapp.routes(app))  # the Mini App beside the webhook
    return web_app


async def run_webhook(app: App, register: bool = True) -> None:
    settings = app.settings
    await app.ensure_schema()
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    web_app = webhook_application(app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    if register:
        await app.bot.set_webhook(
            settings.webhook_url + settings.webhook_path,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=app.dispatcher.resolve_used_update_types(),
        )
    log.info(
        "webhook listening on %s:%s%s",
        settings.webhook_host,
        settings.webhook_port,
        settings.webhook_path,
    )
    stop = stop_on_signals()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
