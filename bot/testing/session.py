"""An aiogram session that talks to the in-memory Telegram instead of the network.

Requests are encoded exactly as aiogram's aiohttp session encodes them (form fields, JSON
for objects, attach:// for files), and responses are decoded by aiogram's own
`check_response`, so errors surface as the same exceptions as in production.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from bot.emulator.telegram import ApiError, FakeTelegram


class FakeSession(BaseSession):
    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__()
        self.telegram = telegram

    async def close(self) -> None:
        return None

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        fields: dict[str, str] = {}
        attachments: dict[str, InputFile] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=attachments)
            if prepared:
                fields[key] = prepared
        files: dict[str, tuple[str, bytes]] = {}
        for key, input_file in attachments.items():
            content = b"".join([chunk async for chunk in input_file.read(bot)])
            files[key] = (input_file.filename or key, content)
        try:
            result = self.telegram.handle(method.__api_method__, fields, files)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.status, error.payload()
        response = self.check_response(bot, method, status, json.dumps(body))
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        file_id = url.rstrip("/").split("/")[-2]
        stored = self.telegram.files[file_id]
        yield stored.content
