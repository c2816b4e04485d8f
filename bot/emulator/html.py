"""Telegram's HTML parse mode, as strict as Telegram: unknown or unbalanced tags and stray
`<` or `&` are errors; the result is the plain text and its entities (UTF-16 offsets)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")


_PREFIX = "Can't parse entities: "


class EntityParseError(ValueError):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Parsed:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def parse(source: str) -> Parsed:
    out: list[str] = []
    units = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG.match(source, i)
            if not match:
                raise EntityParseError(f"{_PREFIX}unclosed start tag at byte {_byte(source, i)}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in ENTITY_TYPES:
                at = _byte(source, i)
                raise EntityParseError(f'{_PREFIX}unsupported start tag "{name}" at byte {at}')
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = stack[-1][0] if stack else ""
                    raise EntityParseError(
                        f"{_PREFIX}unmatched end tag at byte {_byte(source, i)}, "
                        f'expected "</{expected}>", found "</{name}>"'
                    )
                opened, start, attrs = stack.pop()
                if units > start:
                    entity: dict[str, Any] = {
                        "type": ENTITY_TYPES[opened],
                        "offset": start,
                        "length": units - start,
                    }
                    if opened == "a":
                        entity["url"] = attrs.get("href", "")
                    entities.append(entity)
            else:
                attrs = {
                    m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR.finditer(match.group(3))
                }
                if name == "a" and not attrs.get("href"):
                    raise EntityParseError("Can't parse entities: a tag without href")
                stack.append((name, units, attrs))
            i = match.end()
            continue
        if char == "&":
            match = _ENTITY.match(source, i)
            if not match:
                raise EntityParseError(f"{_PREFIX}unsupported entity at byte {_byte(source, i)}")
            decoded = html.unescape(match.group(0))
            out.append(decoded)
            units += utf16_len(decoded)
            i = match.end()
            continue
        out.append(char)
        units += utf16_len(char)
        i += 1
    if stack:
        raise EntityParseError(
            f'{_PREFIX}can\'t find end tag corresponding to start tag "{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Parsed("".join(out), entities)


def _byte(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))
