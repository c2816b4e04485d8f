"""The per-update presenter handed to handlers: texts in the user's locale, and replies that
respect Telegram's limits (long texts are split; the keyboard rides on the last part)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.rendering import Renderer, split_html

Markup = InlineKeyboardMarkup | None


class Ui:
    def __init__(self, bot: Bot, renderer: Renderer, locale: str) -> None:
        self.bot = bot
        self.renderer = renderer
        self.locale = locale

    def for_locale(self, locale: str) -> Ui:
        return Ui(self.bot, self.renderer, self.renderer.locale(locale))

    def text(self, key: str, **context: Any) -> str:
        return self.renderer.text(self.locale, key, **context)

    def label(self, key: str, **context: Any) -> str:
        return self.renderer.label(self.locale, key, **context)

    def topic(self, key: str, title: str = "") -> str:
        """A contract topic's name: an Art. 8 topic in this locale, or a custom one's title."""
        return title if key == "custom" else self.label(f"labels.topic_{key}")

    async def send(self, chat_id: int, key: str, markup: Markup = None, **context: Any) -> Message:
        return await self.send_html(chat_id, self.text(key, **context), markup)

    async def send_html(self, chat_id: int, html: str, markup: Markup = None) -> Message:
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
        """Navigation (a menu, a list, a page) replaces the message whose button was pressed;
        a text too long for one message, or no message to replace, is sent anew."""
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
