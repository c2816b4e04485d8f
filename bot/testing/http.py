"""Playing people against the HTTP emulator (end-to-end tests and the benchmark): send,
press buttons, and wait until the bot's answer arrives, with a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from bot.emulator.server import Emulator
from storage.models import Role, User
from storage.uow import UnitOfWork


def text_of(message: dict[str, Any]) -> str:
    """A message's text, or a file's caption."""
    return str(message.get("text") or message.get("caption") or "")


async def add_instructors(
    uow: UnitOfWork, emulator: Emulator, org_id: int, ids: range, name: str, now: datetime
) -> None:
    """Many active instructors of one union at once (one insert; the caller commits), each
    known to the emulator as a person named `name` and a number."""
    rows = [
        {
            "telegram_id": telegram_id,
            "role": Role.instructor,
            "org_id": org_id,
            "display_name": f"{name}{n}",
            "locale": "zh",
            "active": True,
            "blocked_bot": False,
            "created_at": now,
        }
        for n, telegram_id in enumerate(ids)
    ]
    await uow.session.execute(insert(User), rows)
    for n, telegram_id in enumerate(ids):
        emulator.persona(telegram_id, f"{name}{n}", "zh")


@dataclass
class Person:
    emulator: Emulator
    id: int

    def bot_messages(self) -> list[dict[str, Any]]:
        chat = self.emulator.telegram.messages.get(self.id, {})
        return [m for m in chat.values() if m["from"]["id"] == self.emulator.telegram.bot_id]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], after: int = 0, seconds: float = 15.0
    ) -> dict[str, Any]:
        """The first bot message with id above `after` that satisfies `predicate`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.bot_messages():
                if message["message_id"] > after and predicate(message):
                    return message
            await asyncio.sleep(0.05)
        texts = [m.get("text", "") for m in self.bot_messages()[-3:]]
        raise TimeoutError(f"no matching bot message for {self.id}; last: {texts}")

    def _last_id(self) -> int:
        chat = self.emulator.telegram.messages.get(self.id, {})
        return max(chat, default=0)

    async def say(self, text: str, expect: str, seconds: float = 15.0) -> dict[str, Any]:
        after = self._last_id()
        self.emulator.send_text(self.id, text)
        return await self.wait_for(lambda m: expect in text_of(m), after, seconds)

    async def _button(self, label: str, seconds: float) -> tuple[dict[str, Any], str]:
        """The newest button labelled `label`, waiting for it to arrive."""
        deadline = time.monotonic() + seconds
        while True:
            for message in reversed(self.bot_messages()):
                rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for button in (b for row in rows for b in row):
                    if label in button["text"]:
                        return message, str(button["callback_data"])
            if time.monotonic() > deadline:
                raise LookupError(f"no button {label!r}")
            await asyncio.sleep(0.05)

    async def press(self, label: str, expect: str, seconds: float = 15.0) -> dict[str, Any]:
        """Press the newest button labelled `label`; wait for a new or edited message."""
        message, data = await self._button(label, seconds)
        after = self._last_id()
        mid = message["message_id"]
        before = (message.get("text"), message.get("reply_markup"))
        self.emulator.click(self.id, mid, data)

        def answered(m: dict[str, Any]) -> bool:
            edited = m["message_id"] == mid and (m.get("text"), m.get("reply_markup")) != before
            return expect in text_of(m) and (m["message_id"] > after or edited)

        return await self.wait_for(answered, after=0, seconds=seconds)
