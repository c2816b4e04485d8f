"""Chat as a named user with the real dispatcher, and read the bot's answers.

    harness = await Harness.start(settings)
    liaison = harness.user(1001, "王芳")
    reply = await liaison.send("/start " + code)
    assert "欢迎" in reply.text
    await liaison.click("➕ 邀请成员")

Every outgoing API call is recorded in order (first in, first out) in `harness.telegram.calls`;
`Reply` holds the calls one user action caused. The clock is a `FrozenClock` the test moves.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Update

from bot.app import App, create_app
from bot.clock import FrozenClock
from bot.emulator.telegram import Call, FakeTelegram, StoredFile
from bot.settings import Settings
from bot.testing.session import FakeSession

TEST_TOKEN = "7000000001:TEST-token-for-the-conversation-client"


@dataclass
class Reply:
    """What the bot did in answer to one user action."""

    calls: list[Call]
    chat_id: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages sent or edited in this user's chat, in order."""
        return [
            c.result
            for c in self.calls
            if c.error is None
            and isinstance(c.result, dict)
            and c.result.get("chat", {}).get("id") == self.chat_id
        ]

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.messages]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def errors(self) -> list[Call]:
        return [c for c in self.calls if c.error is not None]

    @property
    def alerts(self) -> list[str]:
        """Texts of the callback answers (a toast or an alert) this action caused."""
        return [
            str(c.params.get("text"))
            for c in self.calls
            if c.error is None and c.method == "answerCallbackQuery" and c.params.get("text")
        ]

    def answered_callback(self) -> bool:
        return any(c.method == "answerCallbackQuery" for c in self.calls if c.error is None)

    def sent_to(self, chat_id: int) -> list[str]:
        return [
            c.text
            for c in self.calls
            if c.error is None
            and c.method in {"sendMessage", "sendDocument", "sendPhoto"}
            and c.chat_id == chat_id
        ]


@dataclass
class Harness:
    app: App
    telegram: FakeTelegram
    clock: FrozenClock
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def start(
        cls, settings: Settings, clock: FrozenClock | None = None, migrate: bool = True
    ) -> Harness:
        clock = clock or FrozenClock()
        telegram = FakeTelegram(now=clock.now)
        app = create_app(settings, clock=clock, session=FakeSession(telegram), token=TEST_TOKEN)
        if migrate:
            await app.migrate()
        return cls(app, telegram, clock)

    async def close(self) -> None:
        await self.app.close()

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database and the same Telegram,
        as after a crash or a deploy: update ids go on increasing, chats stay."""
        settings = self.app.settings
        await self.app.close()
        self.app = create_app(
            settings, clock=self.clock, session=FakeSession(self.telegram), token=TEST_TOKEN
        )

    def user(
        self, telegram_id: int, first_name: str = "测试用户", language: str = "zh"
    ) -> ChatUser:
        profile = {
            "id": telegram_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language,
        }
        self.telegram.register_user(profile)
        return ChatUser(self, profile)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def feed(self, update: dict[str, Any]) -> list[Call]:
        """Feed one raw update through the real dispatcher; return the calls it caused."""
        before = len(self.telegram.calls)
        bot = self.app.bot
        await self.app.dispatcher.feed_update(
            bot, Update.model_validate(update, context={"bot": bot})
        )
        return self.telegram.calls[before:]


class ButtonNotFound(LookupError):
    pass


@dataclass
class ChatUser:
    harness: Harness
    profile: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.profile["id"])

    @property
    def telegram(self) -> FakeTelegram:
        return self.harness.telegram

    async def _message(self, **content: Any) -> Reply:
        message = self.telegram.user_message(self.id, **content)
        update = {"update_id": self.harness.next_update_id(), "message": message}
        return Reply(await self.harness.feed(update), self.id)

    async def send(self, text: str) -> Reply:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0].encode("utf-16-le")) // 2
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self._message(**content)

    async def send_photo(self, caption: str | None = None) -> Reply:
        stored = self.telegram.store_user_file("photo.jpg", b"\xff\xd8\xff fake jpeg")
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 90,
                "height": 90,
            }
        ]
        return await self._message(photo=photo, **({"caption": caption} if caption else {}))

    async def send_document(self, name: str = "file.pdf", content: bytes = b"%PDF-1.4") -> Reply:
        stored = self.telegram.store_user_file(name, content)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
        }
        return await self._message(document=document)

    async def send_sticker(self) -> Reply:
        sticker = {
            "file_id": "STICKER1",
            "file_unique_id": "S1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._message(sticker=sticker)

    # ----- reading the chat -----
    def chat(self) -> list[dict[str, Any]]:
        return list(self.telegram.messages.get(self.id, {}).values())

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.chat() if m["from"]["id"] == self.telegram.bot_id]

    def last(self) -> dict[str, Any]:
        messages = self.bot_messages()
        assert messages, "the bot has not written to this chat"
        return messages[-1]

    @property
    def last_text(self) -> str:
        return str(self.last().get("text") or self.last().get("caption") or "")

    def last_file(self, kind: str = "document") -> StoredFile:
        """The newest file ("document" or "photo") the bot sent to this chat, with its bytes."""
        for message in reversed(self.bot_messages()):
            media = message.get(kind)
            if media:
                file_id = media[-1]["file_id"] if isinstance(media, list) else media["file_id"]
                return self.telegram.files[file_id]
        raise AssertionError(f"the bot sent no {kind} to this chat")

    def buttons(self, message: dict[str, Any] | None = None) -> list[tuple[str, str]]:
        """(label, callback data) of the buttons on `message` (default: the last with any)."""
        if message is None:
            with_buttons = [m for m in self.bot_messages() if m.get("reply_markup")]
            if not with_buttons:
                return []
            message = with_buttons[-1]
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def _find(self, label: str) -> tuple[dict[str, Any], str]:
        for message in reversed(self.bot_messages()):
            for text, data in self.buttons(message):
                if label in (text, data) or (label and label in text):
                    return message, data
        raise ButtonNotFound(f"no button {label!r}; last buttons: {self.buttons()}")

    # ----- pressing buttons -----
    async def click(self, label: str) -> Reply:
        """Press the newest button whose label contains `label` (or whose data equals it)."""
        message, data = self._find(label)
        return await self.press(data, message)

    async def press(self, data: str, message: dict[str, Any] | None = None) -> Reply:
        """Send callback data, forged or real, as if pressed on `message` (default: the last)."""
        message = message or self.last()
        query_id = str(next(self.harness._query_ids))
        self.telegram.pending_callbacks.add(query_id)
        update = {
            "update_id": self.harness.next_update_id(),
            "callback_query": {
                "id": query_id,
                "from": self.profile,
                "chat_instance": f"ci{self.id}",
                "message": message,
                "data": data,
            },
        }
        return Reply(await self.harness.feed(update), self.id)
