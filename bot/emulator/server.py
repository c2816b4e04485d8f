"""The Bot API emulator over HTTP, plus the web chat that plays the users.

Bot side, like api.telegram.org: `/bot<token>/<method>` (query string, urlencoded, JSON or
multipart bodies) and `/file/bot<token>/<path>`; getUpdates long-polls, or updates are
pushed to a webhook registered with setWebhook (with its secret header).
People side: `/` serves the web chat, `/api/...` its JSON endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.emulator.telegram import ApiError, FakeTelegram

log = logging.getLogger(__name__)
WEB = Path(__file__).parent / "web"
LONG_POLL_CAP = 50.0


@dataclass
class Emulator:
    """Telegram for one bot: the API model, the update queue and the personas."""

    telegram: FakeTelegram
    token: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    _next_update_id: int = 1
    _next_query_id: int = 1
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _http: aiohttp.ClientSession | None = None
    # The playground's bot clock, when it may be moved on (bot/clock.py ShiftedClock).
    clock: Any = None

    def __post_init__(self) -> None:
        self.telegram.listeners.append(self._changed.set)

    # ----- updates -----
    def resume_updates_after(self, update_id: int) -> None:
        """Go on numbering after `update_id`, as Telegram does across a bot's restarts."""
        self._next_update_id = max(self._next_update_id, update_id + 1)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.updates.append(update)
        self._wake.set()
        if self.telegram.webhook.get("url"):
            asyncio.get_running_loop().create_task(self._deliver_webhook())
        return update

    async def _deliver_webhook(self) -> None:
        url = self.telegram.webhook["url"]
        secret = self.telegram.webhook.get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        if self._http is None:
            self._http = aiohttp.ClientSession()
        while self.updates and self.telegram.webhook.get("url") == url:
            update = self.updates[0]
            try:
                async with self._http.post(url, json=update, headers=headers) as response:
                    if response.status == 200:
                        self.updates.pop(0)
                        continue
                    log.warning("webhook answered %s", response.status)
            except aiohttp.ClientError as exc:
                log.warning("webhook delivery failed: %s", exc)
            await asyncio.sleep(1.0)

    async def get_updates(self, offset: int, limit: int, wait: float) -> list[dict[str, Any]]:
        if self.telegram.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and wait > 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(wait, LONG_POLL_CAP))
        return self.updates[: max(1, min(limit, 100))]

    # ----- what people do in the web chat -----
    def persona(self, user_id: int, name: str, language: str = "zh") -> dict[str, Any]:
        profile = {"id": user_id, "is_bot": False, "first_name": name, "language_code": language}
        self.telegram.register_user(profile)
        self.telegram.changed()
        return profile

    def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0].encode("utf-16-le")) // 2
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push("message", self.telegram.user_message(user_id, **content))

    def send_file(
        self, user_id: int, name: str, content: bytes, caption: str = ""
    ) -> dict[str, Any]:
        stored = self.telegram.store_user_file(name, content)
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        if stored.mime_type.startswith("image/"):
            extra["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": 800,
                    "height": 600,
                }
            ]
        else:
            extra["document"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": name,
                "mime_type": stored.mime_type,
            }
        return self.push("message", self.telegram.user_message(user_id, **extra))

    def click(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        message = self.telegram.messages.get(user_id, {}).get(message_id)
        if message is None:
            raise web.HTTPNotFound(text="no such message")
        query_id = f"{self._next_query_id}"
        self._next_query_id += 1
        self.telegram.pending_callbacks.add(query_id)
        payload = {
            "id": query_id,
            "from": self.telegram.users[user_id],
            "chat_instance": f"ci{user_id}",
            "message": message,
            "data": data,
        }
        return self.push("callback_query", payload)

    async def wait_change(self, version: int, wait: float) -> None:
        if self.telegram.version != version:
            return
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), wait)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


# ---------------------------------------------------------------------------------------
# Bot API routes


async def _request_fields(
    request: web.Request,
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    fields: dict[str, str] = {key: value for key, value in request.query.items()}
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        body = await request.json()
        for key, value in body.items():
            fields[key] = value if isinstance(value, str) else json.dumps(value)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename:
                files[part.name] = (part.filename, await part.read())
            else:
                fields[part.name] = await part.text()
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            if isinstance(value, str):
                fields[key] = value
    return fields, files


def _reply(result: Any = None, error: ApiError | None = None) -> web.Response:
    if error is not None:
        return web.json_response(error.payload(), status=error.status)
    return web.json_response({"ok": True, "result": result})


def bot_api_routes(emulator: Emulator) -> list[web.RouteDef]:
    async def method(request: web.Request) -> web.Response:
        if request.match_info["token"] != emulator.token:
            return _reply(error=ApiError(401, "Unauthorized"))
        name = request.match_info["method"]
        fields, files = await _request_fields(request)
        try:
            if name == "getUpdates":
                result: Any = await emulator.get_updates(
                    int(fields.get("offset", 0) or 0),
                    int(fields.get("limit", 100) or 100),
                    float(fields.get("timeout", 0) or 0),
                )
                return _reply(result)
            result = emulator.telegram.handle(name, fields, files)
            if name == "setWebhook" and emulator.updates:
                asyncio.get_running_loop().create_task(emulator._deliver_webhook())
            return _reply(result)
        except ApiError as error:
            return _reply(error=error)
        except (ValueError, KeyError) as exc:
            return _reply(error=ApiError(400, f"Bad Request: {exc}"))

    async def file(request: web.Request) -> web.Response:
        if request.match_info["token"] != emulator.token:
            raise web.HTTPUnauthorized()
        file_id = (
            request.match_info["path"].split("/")[1] if "/" in request.match_info["path"] else ""
        )
        stored = emulator.telegram.files.get(file_id)
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.content, content_type=stored.mime_type)

    return [
        web.route("*", "/bot{token}/{method}", method),
        web.get("/file/bot{token}/{path:.+}", file),
    ]


# ---------------------------------------------------------------------------------------
# Web chat routes


def _persona_list(emulator: Emulator) -> list[dict[str, Any]]:
    return [
        {
            "id": uid,
            "name": user.get("first_name", ""),
            "language": user.get("language_code", "zh"),
            "blocked": uid in emulator.telegram.blocked,
        }
        for uid, user in sorted(emulator.telegram.users.items())
    ]


def web_chat_routes(emulator: Emulator) -> list[web.RouteDef]:
    telegram = emulator.telegram

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB / "index.html")

    async def personas(request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await request.json()
            name = str(body.get("name", "")).strip()[:64] or "访客"
            language = "en" if body.get("language") == "en" else "zh"
            user_id = int(body.get("id") or 0) or (900_000 + secrets.randbelow(99_999))
            emulator.persona(user_id, name, language)
        return web.json_response(_persona_list(emulator))

    async def chat(request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        version = int(request.query.get("version", "-1"))
        await emulator.wait_change(version, float(request.query.get("wait", "0")))
        messages = list(telegram.messages.get(user_id, {}).values())[-300:]
        return web.json_response({"version": telegram.version, "messages": messages})

    async def send(request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        if user_id not in telegram.users:
            raise web.HTTPNotFound(text="unknown persona")
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            name, content, caption = "file", b"", ""
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                if part.filename:
                    name, content = part.filename, await part.read()
                elif part.name == "caption":
                    caption = (await part.text())[:1024]
            if not content:
                raise web.HTTPBadRequest(text="empty file")
            emulator.send_file(user_id, name, content, caption)
        else:
            body = await request.json()
            text = str(body.get("text", ""))
            if not text.strip():
                raise web.HTTPBadRequest(text="empty message")
            emulator.send_text(user_id, text[:4096])
        return web.json_response({"ok": True})

    async def click(request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        body = await request.json()
        pushed = emulator.click(user_id, int(body["message_id"]), str(body["data"]))
        return web.json_response({"ok": True, "query": pushed["callback_query"]["id"]})

    async def callback_answer(request: web.Request) -> web.Response:
        """What the bot answered to a button press (a toast or an alert), once it has."""
        found = emulator.telegram.callback_answers.get(request.match_info["query_id"], {})
        return web.json_response(
            {
                "answered": bool(found),
                "text": str(found.get("text") or ""),
                "show_alert": bool(found.get("show_alert")),
            }
        )

    async def block(request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        body = await request.json()
        if body.get("blocked"):
            telegram.blocked.add(user_id)
        else:
            telegram.blocked.discard(user_id)
        telegram.changed()
        return web.json_response(_persona_list(emulator))

    async def download(request: web.Request) -> web.Response:
        stored = telegram.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        inline = stored.mime_type.startswith("image/")
        disposition = "inline" if inline else "attachment"
        return web.Response(
            body=stored.content,
            content_type=stored.mime_type,
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{_quote(stored.name)}"
            },
        )

    async def clock(request: web.Request) -> web.Response:
        """The bot's day, and moving it on (POST {"days": n}) when the playground allows."""
        moving = emulator.clock
        if moving is None:
            raise web.HTTPNotFound(text="this emulator's bot clock cannot be moved")
        if request.method == "POST":
            body = await request.json()
            try:
                moving.shift(int(body.get("days", 0)))
            except (TypeError, ValueError) as exc:
                raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"now": moving.now().isoformat(), "days": moving.days})

    async def webapp_init(request: web.Request) -> web.Response:
        """What Telegram hands a Mini App it opens for a user: initData signed with the
        bot's token (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app)."""
        body = await request.json()
        user = emulator.telegram.users.get(int(body.get("user_id", 0)))
        if user is None:
            raise web.HTTPNotFound(text="no such user")
        return web.json_response(
            {"init_data": sign_init_data(emulator.token, user, str(body.get("start_param") or ""))}
        )

    async def errors(request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"method": c.method, "status": c.error.status, "description": c.error.description}
                for c in telegram.errors()
                if c.error is not None
            ]
        )

    return [
        web.get("/", index),
        web.route("*", "/api/personas", personas),
        web.get("/api/chat/{user_id:-?\\d+}", chat),
        web.post("/api/chat/{user_id:-?\\d+}/send", send),
        web.post("/api/chat/{user_id:-?\\d+}/click", click),
        web.get("/api/callbacks/{query_id:\\d+}", callback_answer),
        web.post("/api/chat/{user_id:-?\\d+}/block", block),
        web.get("/api/files/{file_id}", download),
        web.get("/api/errors", errors),
        web.route("*", "/api/clock", clock),
        web.post("/api/webapp/init", webapp_init),
    ]


def sign_init_data(
    token: str, user: dict[str, Any], start_param: str = "", auth_date: int | None = None
) -> str:
    """Mini App initData for `user`, signed as Telegram signs it (`auth_date`: now)."""
    import hashlib
    import hmac
    import json
    import secrets
    import time
    from urllib.parse import urlencode

    who = {k: user[k] for k in ("id", "first_name", "language_code") if k in user}
    fields = {
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "query_id": secrets.token_urlsafe(12),
        "user": json.dumps(who, ensure_ascii=False, separators=(",", ":")),
    }
    if start_param:
        fields["start_param"] = start_param
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def create_emulator_app(emulator: Emulator) -> web.Application:
    app = web.Application(client_max_size=60 * 1024 * 1024)
    app.add_routes(bot_api_routes(emulator))
    app.add_routes(web_chat_routes(emulator))

    async def close(_: web.Application) -> None:
        await emulator.close()

    app.on_cleanup.append(close)
    return app
