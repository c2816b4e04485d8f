"""The per-update presenter handed to handlers: texts in the user's locale, and replies that
respect Telegram's limits (long texts are split; the keyboard rides on the last part)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.flow import Priority, lane
from bot.presentation import enum_labels
from bot.presentation.progress import ChatProgress
from bot.presentation.rendering import Renderer, split_html

Markup = InlineKeyboardMarkup | None


class Ui:
    """Bound to one update: its chat (`chat_id`) and, for a button press, the message whose
    button was pressed (`origin`). `show` is navigation: the first screen an update shows
    replaces the pressed message in place, so the chat does not fill with stale menus;
    `reply` (a new thing: an answer to typed text, a result worth keeping) always sends."""

    def __init__(
        self,
        bot: Bot,
        renderer: Renderer,
        locale: str,
        chat_id: int | None = None,
        origin: Message | None = None,
        web_base: str | None = None,
    ) -> None:
        self.web_base = web_base  # PUBLIC_URL: the Mini App's pages, when served
        self.bot = bot
        self.renderer = renderer
        self.locale = locale
        self.chat_id = chat_id
        self.origin = origin

    def for_locale(self, locale: str) -> Ui:
        return Ui(
            self.bot,
            self.renderer,
            self.renderer.locale(locale),
            self.chat_id,
            self.origin,
            self.web_base,
        )

    async def send_export(
        self,
        key: str,
        total: int,
        make: Callable[[], Awaitable[bytes]],
        filename: str,
        caption: str | None = None,
    ) -> None:
        """A file the member asked for, in their chat: `key` says it is being made (of
        `total` rows), `make` makes it (off the event loop), `key`_done says it is ready,
        then the file; every call through the bot, in the flow controller's reply lane."""
        progress = ChatProgress(self.bot, self.renderer, self._chat(), self.locale, key)
        await progress.begin(total)
        data = await make()
        await progress.finish(total)
        with lane(Priority.reply):
            await self.bot.send_document(
                self._chat(), BufferedInputFile(data, filename=filename), caption=caption
            )

    def _chat(self) -> int:
        if self.chat_id is None:
            raise RuntimeError("this presenter is bound to no chat")
        return self.chat_id

    async def show(self, key: str, markup: Markup = None, **context: Any) -> None:
        """A screen (a menu, a card, a list, a page, the next question of a form)."""
        await self.show_html(self.text(key, **context), markup)

    async def show_html(self, html: str, markup: Markup = None) -> None:
        await self.edit_or_send_html(None, self._chat(), html, markup)

    async def reply(self, key: str, markup: Markup = None, **context: Any) -> Message:
        """A new message in this update's chat."""
        return await self.reply_html(self.text(key, **context), markup)

    async def reply_html(self, html: str, markup: Markup = None) -> Message:
        return await self.send_html(self._chat(), html, markup)

    def text(self, key: str, **context: Any) -> str:
        return self.renderer.text(self.locale, key, **context)

    def label(self, key: str, **context: Any) -> str:
        return self.renderer.label(self.locale, key, **context)

    def enum(self, member: StrEnum) -> str:
        """A stored enum's name in this locale (bot/presentation/enum_labels.py)."""
        return self.label(enum_labels.key(member))

    def topic(self, key: str, title: str = "") -> str:
        """A contract topic's name: an Art. 8 topic in this locale, or a custom one's title."""
        return title if key == "custom" else self.label(f"labels.topic_{key}")

    async def send(self, chat_id: int, key: str, markup: Markup = None, **context: Any) -> Message:
        return await self.send_html(chat_id, self.text(key, **context), markup)

    async def send_html(self, chat_id: int, html: str, markup: Markup = None) -> Message:
        if chat_id == self.chat_id:
            # Something new is below the pressed message now: a screen shown after it is
            # sent under it too, never edited in above it (the chat reads top to bottom).
            self.origin = None
        parts = split_html(html)
        sent: Message | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await self.bot.send_message(chat_id, part, reply_markup=markup if last else None)
        assert sent is not None
        return sent

    async def edit_or_send(
        self, message: Message | None, chat_id: int, key: str, markup: Markup = None, **ctx: Any
    ) -> None:
        """Replace a bot message's text (keeps chats tidy for button flows), or send anew."""
        await self.edit_or_send_html(message, chat_id, self.text(key, **ctx), markup)

    async def edit_or_send_html(
        self, message: Message | None, chat_id: int, html: str, markup: Markup = None
    ) -> None:
        """Navigation (a menu, a list, a page) replaces the message whose button was pressed
        (`message`, or by default this update's pressed message, once: only the first
        screen replaces the press); a text too long for one message, or no message to
        replace, is sent anew."""
        if message is None and chat_id == self.chat_id:
            message, self.origin = self.origin, None
        elif message is not None and message.message_id == getattr(self.origin, "message_id", 0):
            self.origin = None
        if message is not None and len(split_html(html)) == 1 and message.text is not None:
            if message.html_text == html and message.reply_markup == markup:
                return
            try:
                await self.bot.edit_message_text(
                    html, chat_id=chat_id, message_id=message.message_id, reply_markup=markup
                )
            except TelegramBadRequest as exc:
                if "message is not modified" not in exc.message:
                    raise
                # The page already shows exactly this (a repeated or ignored press).
            return
        await self.send_html(chat_id, html, markup)


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(row) for row in rows if row])


def button(text: str, data: Any) -> InlineKeyboardButton:
    packed = data.pack() if hasattr(data, "pack") else str(data)
    return InlineKeyboardButton(text=text, callback_data=packed)
