"""What keeps a worker's survey answer unlinkable to them, even for someone holding a copy
of the database: the key kept outside it, and the scrubber for comments.

- `SurveyKeys` holds a key that is never stored in the database (SURVEY_KEY, or a key file
  outside the database and its backups). Who has answered a survey is kept as
  HMAC(key, survey, Telegram id), an unfinished answer is found by HMAC(key, Telegram id)
  and sealed (encrypted and authenticated, Fernet) under a key derived from it, and so is a
  submitted answer until it is released into the results. Without the key, a copy of the
  database cannot test a candidate Telegram id against anything it holds, nor read an
  unfinished or unreleased answer.
- The online workers' congress uses the same key: a seat is found by HMAC(key, its link),
  who checked in on it by HMAC(key, congress, Telegram id), and each ballot is sealed until
  the count (bot/services/congress.py).
- `scrub` removes contact details from comments in whatever digit form they are typed.

Pure apart from reading or creating the key file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from bot.services.numbers import CHINESE_DIGITS

log = logging.getLogger(__name__)
KEY_BYTES = 32


class SurveyKeys:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the survey key is too short")
        self._voter = hmac.new(key, b"xieshang survey voter", hashlib.sha256).digest()
        self._draft = hmac.new(key, b"xieshang survey draft", hashlib.sha256).digest()
        self._seat = hmac.new(key, b"xieshang congress seat", hashlib.sha256).digest()
        self._holder = hmac.new(key, b"xieshang congress holder", hashlib.sha256).digest()
        self._seal_key = base64.urlsafe_b64encode(
            hmac.new(key, b"xieshang survey seal", hashlib.sha256).digest()
        )
        self._sealer: Any = None  # cryptography's Fernet, loaded with the first seal

    @property
    def _fernet(self) -> Any:
        if self._sealer is None:
            from cryptography.fernet import Fernet

            self._sealer = Fernet(self._seal_key)
        return self._sealer

    @classmethod
    def from_secret(cls, secret: str) -> SurveyKeys:
        return cls(hashlib.sha256(secret.encode()).digest())

    @classmethod
    def load(cls, secret: str | None, key_file: Path) -> SurveyKeys:
        """From the SURVEY_KEY setting, else from the key file, made on first use (mode 0600)
        so that a fresh install is anonymous without a step to forget."""
        if secret:
            return cls.from_secret(secret)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        if not key_file.exists():
            # Written aside, then linked into place: two processes starting at once never
            # read a half-written key, and the first one's key is the one both use.
            aside = key_file.with_name(f".{key_file.name}.{os.getpid()}")
            descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(os.urandom(KEY_BYTES))
            try:
                os.link(aside, key_file)
                log.info("made a new survey key in %s: keep it out of database backups", key_file)
            except FileExistsError:
                pass
            finally:
                aside.unlink(missing_ok=True)
        return cls(key_file.read_bytes())

    def voter(self, survey_id: int, telegram_id: int) -> str:
        message = f"{survey_id}:{telegram_id}".encode()
        return hmac.new(self._voter, message, hashlib.sha256).hexdigest()

    def draft(self, telegram_id: int) -> str:
        return hmac.new(self._draft, str(telegram_id).encode(), hashlib.sha256).hexdigest()

    def seat(self, token: str) -> str:
        """Finds a congress seat by its link, which the database does not hold in clear."""
        return hmac.new(self._seat, token.encode(), hashlib.sha256).hexdigest()

    def holder(self, congress_id: int, telegram_id: int) -> str:
        """Who checked in on a seat of this congress (one person, one seat)."""
        message = f"{congress_id}:{telegram_id}".encode()
        return hmac.new(self._holder, message, hashlib.sha256).hexdigest()

    def seal(self, data: dict[str, Any]) -> bytes:
        return bytes(self._fernet.encrypt(json.dumps(data, ensure_ascii=False).encode()))

    def unseal(self, blob: bytes) -> dict[str, Any] | None:
        """None when the blob was sealed under another key (the key was changed)."""
        from cryptography.fernet import InvalidToken

        try:
            found = json.loads(self._fernet.decrypt(bytes(blob)))
        except (InvalidToken, ValueError):
            return None
        return found if isinstance(found, dict) else None


# ----- the scrubber -----
HIDDEN = "＊＊＊"
_SEPARATORS = frozenset(" \t.-_·—–/\\,　．－＿／")
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._+-]*\s*(?:@|＠|\(at\)|（at）|\[at\]|【at】|艾特|#|\s+at\s+)\s*"
    r"[A-Za-z0-9-]+(?:\s*(?:\.|。|．|\(dot\)|（dot）|\[dot\]|点|\s+dot\s+)\s*[A-Za-z0-9-]+)+",
    re.IGNORECASE,
)
_WECHAT = re.compile(
    r"((?:微信|薇信|威信|[VvWw]信|vx|wx|weixin|wechat|v\s*x)\s*号?\s*(?:是|为|:|：)?\s*)"
    r"([A-Za-z][-_A-Za-z0-9]{5,19})",
    re.IGNORECASE,
)
_CONTACT_WORDS = re.compile(
    r"(?:qq|扣扣|企鹅|q号|微信|vx|wx|电话|手机|号码|联系|tel|phone|mobile|身份证|工号|卡号)",
    re.IGNORECASE,
)


def _digit(char: str) -> str | None:
    if char in CHINESE_DIGITS:
        return str(CHINESE_DIGITS[char])
    value = unicodedata.digit(char, None)
    return None if value is None else str(value)


def _runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of each run of digits in any form, where digits may be parted
    by up to two separators ('138 0013 8000', '138.0013.8000', '一三八零…')."""
    runs: list[tuple[int, int, str]] = []
    index, size = 0, len(text)
    while index < size:
        if _digit(text[index]) is None:
            index += 1
            continue
        start, digits, end = index, [], index
        cursor = index
        while cursor < size:
            found = _digit(text[cursor])
            if found is not None:
                digits.append(found)
                end = cursor + 1
                cursor += 1
                continue
            gap = cursor
            while gap < size and gap - cursor < 2 and text[gap] in _SEPARATORS:
                gap += 1
            if gap > cursor and gap < size and _digit(text[gap]) is not None:
                cursor = gap
                continue
            break
        if end < size and text[end] in "Xx" and len(digits) == 17:  # an ID card's check digit
            digits.append("X")
            end += 1
        runs.append((start, end, "".join(digits)))
        index = max(end, index + 1)
    return runs


def _is_range(text: str) -> bool:
    """'5000-6000', '8,000~10,000': two amounts, not a number to hide."""
    groups = [g for g in re.split(r"\s*[-~—–至到]\s*", text) if g]
    return len(groups) == 2 and all(len(re.sub(r"\D", "", g)) <= 6 for g in groups)


def _identifying(text: str, start: int, end: int, digits: str) -> bool:
    national = digits[4:] if digits.startswith("0086") else digits
    national = national[2:] if national.startswith("86") and len(national) == 13 else national
    if re.fullmatch(r"1[3-9]\d{9}", national):  # a mobile number
        return True
    if re.fullmatch(r"0\d{9,11}", national):  # a landline with its area code
        return True
    if re.fullmatch(r"\d{17}[\dX]|\d{15}", digits):  # an ID card
        return True
    if len(digits) >= 9 and not _is_range(text[start:end]):  # bank cards, long ids
        return True
    before = text[max(0, start - 8) : start]
    return len(digits) >= 5 and _CONTACT_WORDS.search(before) is not None  # QQ 12345


def scrub(text: str) -> str:
    """Hide e-mail addresses (also 'at' forms), WeChat ids, phone, ID-card, QQ and other long
    numbers in any digit form (ASCII, full-width, Chinese numerals, parted by spaces, dots or
    dashes). Self-naming cannot be caught reliably; the privacy text asks workers not to."""
    text = _EMAIL.sub(HIDDEN, text)
    text = _WECHAT.sub(lambda m: m.group(1) + HIDDEN, text)
    pieces: list[str] = []
    last = 0
    for start, end, digits in _runs(text):
        if _identifying(text, start, end, digits):
            if start > last and text[start - 1] in "+＋":  # +86 …
                start -= 1
            pieces.append(text[last:start])
            pieces.append(HIDDEN)
            last = end
    pieces.append(text[last:])
    return "".join(pieces)
