"""Keep aiogram's parametrised response models alive.

aiogram validates every Bot API answer with `Response[method.__returning__]`. Pydantic caches
a parametrised generic only weakly, so with nothing else holding it the model is collected
and rebuilt on the next call, about 4 ms each time (seen in the flow-step benchmark: nearly
half of a survey answer's time went there). Holding one reference per return type of the
methods the bot calls keeps them cached."""

from __future__ import annotations

from typing import Any

from aiogram import methods
from aiogram.methods import Response

USED = (
    methods.AnswerCallbackQuery,
    methods.DeleteMessage,
    methods.DeleteWebhook,
    methods.EditMessageReplyMarkup,
    methods.EditMessageText,
    methods.GetFile,
    methods.GetMe,
    methods.GetUpdates,
    methods.SendChatAction,
    methods.SendDocument,
    methods.SendMessage,
    methods.SendPhoto,
    methods.SetMyCommands,
    methods.SetWebhook,
)
_PINNED: dict[str, Any] = {}


def pin_response_models() -> int:
    """Build and hold `Response[T]` for the return types of the methods the bot calls."""
    for method in USED:
        returning: Any = method.__returning__
        key = repr(returning)
        if key not in _PINNED:
            _PINNED[key] = Response[returning]
    return len(_PINNED)
