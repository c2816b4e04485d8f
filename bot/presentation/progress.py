"""How far a long job is, said in the member's chat: one message, sent once the job is
longer than a batch, edited as it goes (at most every few seconds, so a province's export
spends a handful of Telegram's messages, not one per batch), and a last edit when done.
Every call goes through the bot, so through the flow controller, in the reply lane."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from bot.flow import Priority, lane

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.presentation.rendering import Renderer


class ChatProgress:
    def __init__(
        self,
        bot: Bot,
        renderer: Renderer,
        chat_id: int,
        locale: str,
        key: str,
        every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot, self.renderer, self.chat_id, self.locale = bot, renderer, chat_id, locale
        self.key, self.every, self.clock = key, every, clock
        self.message_id: int | None = None
        self.said_at = 0.0
        self.silent = False  # no chat with the bot: nothing to say it in

    async def begin(self, total: int) -> None:
        """Say the job has started, whatever its size (a file the member asked for)."""
        await self._say(self.renderer.text(self.locale, self.key, done=0, total=total))

    async def update(self, done: int, total: int) -> None:
        """After a batch: the first time only if more remain; then every `every` seconds."""
        if self.silent or (self.message_id is None and done >= total):
            return
        if self.message_id is not None and self.clock() - self.said_at < self.every:
            return
        await self._say(self.renderer.text(self.locale, self.key, done=done, total=total))

    async def finish(self, total: int) -> None:
        if self.message_id is not None and not self.silent:
            await self._say(self.renderer.text(self.locale, f"{self.key}_done", total=total))

    async def _say(self, text: str) -> None:
        self.said_at = self.clock()
        try:
            with lane(Priority.reply):
                if self.message_id is None:
                    sent = await self.bot.send_message(self.chat_id, text)
                    self.message_id = sent.message_id
                else:
                    await self.bot.edit_message_text(
                        text, chat_id=self.chat_id, message_id=self.message_id
                    )
        except TelegramForbiddenError:
            self.silent = True
        except TelegramBadRequest as error:  # no chat yet; or the same text again
            if self.message_id is None or "not modified" not in str(error):
                self.silent = True
