"""The one cleaner for text people type, used by every form: white space collapsed, marks
that are invisible or turn the text's direction removed, and text that shows nothing
refused. Imports nothing from the domain.

What it removes: zero-width characters (U+200B–U+200D, U+2060–U+2064, U+FEFF), direction
marks, embeddings, overrides and isolates (U+200E, U+200F, U+061C, U+202A–U+202E,
U+2066–U+2069), and treats as white space the characters that draw nothing (U+2800 braille
blank, U+3164 and U+FFA0 Hangul fillers, U+115F/U+1160, U+00A0, U+3000).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.services.errors import Problem

_INVISIBLE = re.compile(
    "[\u200b-\u200d\u200e\u200f\u061c\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]"
)
_BLANK = re.compile("[\u2800\u3164\uffa0\u115f\u1160\u00a0\u3000]")


def clean(text: str) -> str:
    """One line: invisible marks dropped, blank-drawing characters and runs of white space
    made one space, ends trimmed."""
    return " ".join(_BLANK.sub(" ", _INVISIBLE.sub("", text)).split())


def clean_lines(text: str) -> str:
    """Several lines: each line cleaned, empty lines at the ends dropped, at most one empty
    line between paragraphs."""
    lines = [clean(line) for line in text.splitlines()]
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return joined.strip("\n")


def has_content(text: str) -> bool:
    """At least one letter or digit: '.', '……' or a row of emoji say nothing."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def text_value(
    text: str, low: int, high: int, key: str, *, lines: bool = False, **params: Any
) -> str:
    """A typed text, cleaned and checked: between `low` and `high` characters and saying
    something; otherwise Problem(key, min=low, max=high, **params)."""
    value = clean_lines(text) if lines else clean(text)
    if not low <= len(value) <= high or not has_content(value):
        raise Problem(key, min=low, max=high, **params)
    return value


def short_diff(before: str, after: str, context: int = 10) -> list[tuple[str, str]]:
    """What changed from `before` to `after`, character by character (Chinese has no spaces
    to split words on): ("=", kept), ("-", removed), ("+", added) parts, with kept text longer
    than `context` on either side of a change shortened to "…"."""
    from difflib import SequenceMatcher

    parts: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    codes = matcher.get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(codes):
        if op == "equal":
            kept = before[i1:i2]
            first, last = index == 0, index == len(codes) - 1
            if len(kept) > 2 * context + 1 or ((first or last) and len(kept) > context):
                head = "" if first else kept[:context]
                tail = "" if last else kept[-context:]
                kept = f"{head}…{tail}"
            parts.append(("=", kept))
            continue
        if op in ("delete", "replace"):
            parts.append(("-", _shorten(before[i1:i2], 4 * context)))
        if op in ("insert", "replace"):
            parts.append(("+", _shorten(after[j1:j2], 4 * context)))
    return parts


def _shorten(text: str, most: int) -> str:
    """A long removed or added run as its beginning and end."""
    if len(text) <= most:
        return text
    half = most // 2
    return f"{text[:half]}…{text[-half:]}"
