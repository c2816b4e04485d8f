"""The Bot API as a state machine in memory: chats, messages, callback queries and files.

Methods take the request fields as Telegram receives them (strings, JSON for objects, files
by attach:// name) and return the JSON result, or raise `ApiError` with Telegram's status
and description. The rules enforced are the ones that bite in production: text and caption
lengths, callback data size, HTML entity parsing, "message is not modified", flood limits
(429 with retry_after) and users who blocked the bot (403).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.emulator.html import EntityParseError, parse, utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
ANSWER_TEXT_LIMIT = 200


NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


# Methods that change nothing a chat window shows.
QUIET_METHODS = frozenset(
    {"getMe", "getUpdates", "getFile", "getWebhookInfo", "setMyCommands", "deleteMyCommands"}
)


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One request the bot made, with what came back."""

    method: str
    params: dict[str, Any]
    result: Any = None
    error: ApiError | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))  # wall clock, for benches

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None and str(value).lstrip("-").isdigit() else None

    @property
    def text(self) -> str:
        if isinstance(self.result, dict):
            return str(self.result.get("text") or self.result.get("caption") or "")
        return str(self.params.get("text", ""))


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    name: str
    content: bytes
    mime_type: str


@dataclass
class FakeTelegram:
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    bot_id: int = 7_000_000_001
    bot_username: str = "xieshang_test_bot"
    bot_name: str = "协商助手"
    # Flood control as Telegram applies it: messages per second across chats (None:
    # unlimited); when set, also per private chat (a burst of `chat_burst_limit`, then one
    # a second) and for paid broadcasts (`paid_rate_limit` a second, their own budget).
    rate_limit: float | None = None
    chat_burst_limit: int = 4
    paid_rate_limit: float = 1000.0
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    deleted: list[tuple[int, int]] = field(default_factory=list)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    files: dict[str, StoredFile] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    callback_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending_callbacks: set[str] = field(default_factory=set)
    inject: deque[ApiError] = field(default_factory=deque)
    _next_message_id: dict[int, int] = field(default_factory=dict)
    _sent_times: deque[float] = field(default_factory=deque)
    _paid_times: deque[float] = field(default_factory=deque)
    _chat_tat: dict[int, float] = field(default_factory=dict)
    flood_refusals: int = 0
    _file_seq: int = 0
    version: int = 0  # bumped on every change a chat window would show
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def changed(self) -> None:
        self.version += 1
        for listener in list(self.listeners):
            listener()

    # ----- the bot's identity -----
    def me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def register_user(self, user: dict[str, Any]) -> None:
        self.users[int(user["id"])] = user

    # ----- entry point -----
    def handle(
        self, method: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> Any:
        params = {key: _decode(value) for key, value in fields.items()}
        call = Call(method, params)
        self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None)
        try:
            if self.inject:
                raise self.inject.popleft()
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            call.result = handler(params, files or {})
        except ApiError as error:
            call.error = error
            raise
        if method not in QUIET_METHODS:
            self.changed()
        return call.result

    # ----- helpers -----
    def _chat_of(self, params: dict[str, Any]) -> int:
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(params["chat_id"])
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.users:
            raise bad_request("chat not found")
        return chat_id

    def _flood_check(self, chat_id: int, params: dict[str, Any]) -> None:
        """429 when the bot sends faster than Telegram allows: in any one second more than
        `rate_limit` messages (or `paid_rate_limit` paid ones), or to one private chat more
        than a burst of `chat_burst_limit` and then one a second."""
        if self.rate_limit is None:
            return
        moment = time.monotonic()
        paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
        times, limit = (
            (self._paid_times, self.paid_rate_limit)
            if paid
            else (self._sent_times, self.rate_limit)
        )
        while times and moment - times[0] > 1.0:
            times.popleft()
        if len(times) >= limit:
            wait = max(1, round(1.0 - (moment - times[0])))
            self._refuse(wait)
        if chat_id > 0:
            tat = self._chat_tat.get(chat_id, moment)
            if moment < tat - (self.chat_burst_limit - 1):
                self._refuse(max(1, round(tat - (self.chat_burst_limit - 1) - moment)))
            self._chat_tat[chat_id] = max(tat, moment) + 1.0
        times.append(moment)

    def _refuse(self, wait: int) -> None:
        self.flood_refusals += 1
        raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _formatted(
        self, params: dict[str, Any], key: str, limit: int
    ) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get(key)
        if raw is None or raw == "":
            if key == "text":
                raise bad_request("message text is empty")
            return "", []
        raw = str(raw)
        if params.get("parse_mode") == "HTML":
            try:
                parsed = parse(raw)
            except EntityParseError as exc:
                raise bad_request(str(exc)) from None
            text, entities = parsed.text, parsed.entities
        elif params.get("parse_mode"):
            text, entities = raw, []
        else:
            text, entities = (
                raw,
                list(params.get(f"{'caption_' if key == 'caption' else ''}entities") or []),
            )
        if key == "text" and not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            raise bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        return text, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if (
                    data is not None
                    and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_LIMIT
                ):
                    raise bad_request("BUTTON_DATA_INVALID")
        return markup

    def _append(
        self, chat_id: int, sender: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        """A new message in the chat; user and bot messages share one id sequence."""
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        user = self.users[chat_id]
        message = {
            "message_id": message_id,
            "date": int(self.now().timestamp()),
            "chat": {"id": chat_id, "type": "private", "first_name": user.get("first_name", "")},
            "from": sender,
            **{k: v for k, v in content.items() if v not in (None, [], "")},
        }
        self.messages.setdefault(chat_id, {})[message_id] = message
        self.changed()
        return message

    def _new_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        sender = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }
        return self._append(chat_id, sender, content)

    def user_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        """A message the user sent."""
        return self._append(chat_id, self.users[chat_id], content)

    def _existing(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = self._chat_of(params)
        try:
            message_id = int(params.get("message_id", 0))
        except (TypeError, ValueError):
            raise bad_request("message to edit not found") from None
        message = self.messages.get(chat_id, {}).get(message_id)
        if message is None or message["from"]["id"] != self.bot_id:
            raise bad_request("message to edit not found")
        return chat_id, message

    def _store_file(self, name: str, content: bytes, mime: str) -> StoredFile:
        self._file_seq += 1
        stored = StoredFile(
            f"FILE{self._file_seq:08d}", f"U{self._file_seq:06d}", name, content, mime
        )
        self.files[stored.file_id] = stored
        return stored

    def _input_file(
        self, params: dict[str, Any], key: str, files: dict[str, tuple[str, bytes]]
    ) -> StoredFile:
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            attached = files.get(value.removeprefix("attach://"))
            if attached is None:
                raise bad_request(f"file {key} not found in the request")
            name, content = attached
            if not content:
                raise bad_request("file must be non-empty")
            mime = _mime(name)
            return self._store_file(name, content, mime)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        raise bad_request(f"wrong remote file identifier specified: {key}")

    # ----- methods -----
    def _m_getMe(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return self.me()

    def _m_setMyCommands(self, params: dict[str, Any], files: Any) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not (
                1 <= len(command.get("command", "")) <= 32
                and 1 <= len(command.get("description", "")) <= 256
            ):
                raise bad_request("BOT_COMMAND_INVALID")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[f"{scope}|{params.get('language_code', '')}"] = commands
        return True

    def _m_deleteMyCommands(self, params: dict[str, Any], files: Any) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop(f"{scope}|{params.get('language_code', '')}", None)
        return True

    def _m_sendMessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = self._chat_of(params)
        text, entities = self._formatted(params, "text", TEXT_LIMIT)
        markup = self._markup(params)
        self._flood_check(chat_id, params)
        return self._new_message(chat_id, text=text, entities=entities, reply_markup=markup)

    def _m_editMessageText(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id, message = self._existing(params)
        text, entities = self._formatted(params, "text", TEXT_LIMIT)
        markup = self._markup(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise bad_request(NOT_MODIFIED)
        self._flood_check(chat_id, params)
        message.update(text=text, entities=entities, edit_date=int(self.now().timestamp()))
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        if not entities:
            message.pop("entities", None)
        return message

    def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id, message = self._existing(params)
        markup = self._markup(params)
        if message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        self._flood_check(chat_id, params)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(self.now().timestamp())
        return message

    def _m_deleteMessage(self, params: dict[str, Any], files: Any) -> bool:
        chat_id = self._chat_of(params)
        message_id = int(params.get("message_id", 0))
        if self.messages.get(chat_id, {}).pop(message_id, None) is None:
            raise bad_request("message to delete not found")
        self.deleted.append((chat_id, message_id))
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.pending_callbacks:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text", ""))) > ANSWER_TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        self.pending_callbacks.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    def _m_sendChatAction(self, params: dict[str, Any], files: Any) -> bool:
        self._chat_of(params)
        return True

    def _send_media(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]], kind: str
    ) -> dict[str, Any]:
        chat_id = self._chat_of(params)
        caption, entities = self._formatted(params, "caption", CAPTION_LIMIT)
        markup = self._markup(params)
        stored = self._input_file(params, kind, files)
        self._flood_check(chat_id, params)
        if kind == "photo":
            media: Any = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": 800,
                    "height": 600,
                    "file_size": len(stored.content),
                }
            ]
        else:
            media = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.name,
                "mime_type": stored.mime_type,
                "file_size": len(stored.content),
            }
        return self._new_message(
            chat_id,
            caption=caption,
            caption_entities=entities,
            reply_markup=markup,
            **{kind: media},
        )

    def _m_sendDocument(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        return self._send_media(params, files, "document")

    def _m_sendPhoto(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        return self._send_media(params, files, "photo")

    def _m_getFile(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": f"documents/{stored.file_id}/{stored.name}",
        }

    def _m_setWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
        return True

    def _m_deleteWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = {}
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def _m_close(self, params: dict[str, Any], files: Any) -> bool:
        return True

    # ----- what a user does -----
    def store_user_file(self, name: str, content: bytes) -> StoredFile:
        return self._store_file(name, content, _mime(name))

    def errors(self) -> list[Call]:
        return [call for call in self.calls if call.error is not None]


def _decode(value: str) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _mime(name: str) -> str:
    lower = name.lower()
    for suffix, mime in (
        (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (".pdf", "application/pdf"),
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
        (".csv", "text/csv"),
    ):
        if lower.endswith(suffix):
            return mime
    return "application/octet-stream"
