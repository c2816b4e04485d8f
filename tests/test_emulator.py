"""The Bot API emulator, driven by a real aiogram Bot over HTTP: the rules that bite in
production are enforced here, so bugs show up in tests and the playground first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.emulator.server import Emulator, create_emulator_app
from bot.emulator.telegram import FakeTelegram

TOKEN = "42:EMULATOR-test-token"


@pytest.fixture
async def env() -> AsyncIterator[tuple[Emulator, Bot, TestClient[web.Request, web.Application]]]:
    emulator = Emulator(FakeTelegram(bot_id=42), TOKEN)
    emulator.persona(1001, "王芳")
    client = TestClient(TestServer(create_emulator_app(emulator)))
    await client.start_server()
    base = str(client.make_url("")).rstrip("/")
    bot = Bot(
        TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(base)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    yield emulator, bot, client
    await bot.session.close()
    await client.close()


def _kb(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data=data)]]
    )


async def test_messages_and_their_rules(env):
    emulator, bot, _ = env
    me = await bot.get_me()
    assert me.id == 42
    sent = await bot.send_message(1001, "<b>你好</b> &amp; 欢迎")
    assert sent.text == "你好 & 欢迎"
    assert sent.entities is not None
    assert sent.entities[0].type == "bold"
    assert isinstance(emulator.telegram.messages[1001][sent.message_id]["date"], int)

    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(1001, "字" * 4097)
    await bot.send_message(1001, "字" * 4096)
    with pytest.raises(TelegramBadRequest, match="parse entities"):
        await bot.send_message(1001, "a < b")
    with pytest.raises(TelegramBadRequest, match="parse entities"):
        await bot.send_message(1001, "<b>unclosed")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(1001, "x", reply_markup=_kb("字" * 22))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(5555, "x")

    await bot.edit_message_text("改过了", chat_id=1001, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("改过了", chat_id=1001, message_id=sent.message_id)
    await bot.edit_message_reply_markup(
        chat_id=1001, message_id=sent.message_id, reply_markup=_kb("a")
    )
    assert await bot.delete_message(1001, sent.message_id)
    with pytest.raises(TelegramBadRequest):
        await bot.delete_message(1001, sent.message_id)


async def test_blocked_user_and_flood_limit(env):
    emulator, bot, _ = env
    emulator.telegram.blocked.add(1001)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(1001, "x")
    emulator.telegram.blocked.clear()
    emulator.telegram.rate_limit = 3
    for _ in range(3):
        await bot.send_message(1001, "x")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(1001, "x")
    assert info.value.retry_after >= 1


async def test_documents_photos_and_files(env):
    _, bot, client = env
    sent = await bot.send_document(
        1001,
        BufferedInputFile(b"PK\x03\x04 docx", filename="要约书-v1.docx"),
        caption="<b>要约书</b>",
    )
    assert sent.document is not None
    assert sent.document.file_name == "要约书-v1.docx"
    assert sent.caption == "要约书"
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(
            1001, BufferedInputFile(b"\x89PNG", filename="a.png"), caption="x" * 1025
        )
    photo = await bot.send_photo(1001, BufferedInputFile(b"\x89PNG data", filename="a.png"))
    assert photo.photo
    info = await bot.get_file(sent.document.file_id)
    assert info.file_path is not None
    response = await client.get(f"/file/bot{TOKEN}/{info.file_path}")
    assert await response.read() == b"PK\x03\x04 docx"
    download = await client.get(f"/api/files/{sent.document.file_id}")
    assert download.status == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert await bot.send_chat_action(1001, "typing")


async def test_get_updates_offsets_and_long_poll(env):
    emulator, bot, _ = env
    assert await bot.get_updates(timeout=0) == []
    waiter = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    emulator.send_text(1001, "/start")
    updates = await asyncio.wait_for(waiter, 3)
    assert updates[0].message is not None
    assert updates[0].message.text == "/start"
    emulator.send_text(1001, "第二条")
    again = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert [u.message.text for u in again if u.message] == ["第二条"]

    sent = await bot.send_message(1001, "选", reply_markup=_kb("m:home"))
    emulator.click(1001, sent.message_id, "m:home")
    query = (await bot.get_updates(offset=again[-1].update_id + 1, timeout=0))[0].callback_query
    assert query is not None
    assert query.data == "m:home"
    assert await bot.answer_callback_query(query.id)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)


async def test_wrong_token_is_unauthorized(env):
    _, _, client = env
    response = await client.get("/bot1:wrong/getMe")
    assert response.status == 401


async def test_webhook_delivery_with_secret(env):
    emulator, bot, _ = env
    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app)
    await server.start_server()
    await bot.set_webhook(str(server.make_url("/hook")), secret_token="abc_123")
    with pytest.raises(Exception, match="webhook is active"):
        await bot.get_updates(timeout=0)
    emulator.send_text(1001, "/menu")
    for _ in range(50):
        if received:
            break
        await asyncio.sleep(0.05)
    assert received[0][0]["message"]["text"] == "/menu"
    assert received[0][1] == "abc_123"
    await bot.delete_webhook()
    await server.close()


async def test_web_chat_api(env):
    _, bot, client = env
    personas = await (
        await client.post("/api/personas", json={"name": "Sam", "language": "en", "id": 2002})
    ).json()
    assert {"id": 2002, "name": "Sam", "language": "en", "blocked": False} in personas
    assert (await client.post("/api/chat/2002/send", json={"text": "hi"})).status == 200
    assert (await client.post("/api/chat/2002/send", json={"text": "  "})).status == 400
    chat = await (await client.get("/api/chat/2002")).json()
    assert chat["messages"][-1]["text"] == "hi"
    version = chat["version"]
    waiter = asyncio.create_task(client.get(f"/api/chat/2002?version={version}&wait=5"))
    await asyncio.sleep(0.1)
    await bot.send_message(2002, "hello")
    changed = await (await asyncio.wait_for(waiter, 3)).json()
    assert changed["version"] > version
    await client.post("/api/chat/2002/block", json={"blocked": True})
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(2002, "x")
    index = await client.get("/")
    assert "Playground" in await index.text()


async def test_the_web_chat_sees_the_answer_to_a_press(env):
    """A press returns its query id; the web chat reads the bot's answer (a toast or an
    alert) from it, as Telegram's app shows it."""
    _, bot, client = env
    await client.post("/api/personas", json={"name": "Sam", "language": "en", "id": 2003})
    sent = await bot.send_message(2003, "pick")
    pressed = await (
        await client.post(
            "/api/chat/2003/click", json={"message_id": sent.message_id, "data": "x:1"}
        )
    ).json()
    query = pressed["query"]
    before = await (await client.get(f"/api/callbacks/{query}")).json()
    assert before == {"answered": False, "text": "", "show_alert": False}
    await bot.answer_callback_query(query, text="not yet", show_alert=True)
    after = await (await client.get(f"/api/callbacks/{query}")).json()
    assert after == {"answered": True, "text": "not yet", "show_alert": True}


async def test_the_playground_moves_the_bots_day_on(env, tmp_path):
    """⏩ in the web chat: the bot's clock moves on by whole days, never back, and a
    restarted playground stays on the day it reached."""
    from datetime import UTC, datetime, timedelta

    from bot.clock import ShiftedClock

    emulator, _, client = env
    assert (await client.get("/api/clock")).status == 404  # not a playground's emulator
    kept = tmp_path / "playground.db.days"
    emulator.clock = ShiftedClock(kept)
    assert (await (await client.get("/api/clock")).json())["days"] == 0
    moved = await (await client.post("/api/clock", json={"days": 15})).json()
    assert moved["days"] == 15
    ahead = datetime.fromisoformat(moved["now"]) - datetime.now(UTC)
    assert timedelta(days=14, hours=23) < ahead < timedelta(days=15, hours=1)
    for wrong in (0, -3, 400, "x"):
        assert (await client.post("/api/clock", json={"days": wrong})).status == 400
    assert ShiftedClock(kept).days == 15
