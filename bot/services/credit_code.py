"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (no I, O, S, V, Z): registration authority (1),
entity type (1), administrative division (6 digits), organisation code (9, GB 11714, with
its own check character), and a final check character over the first 17.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SHAPE = re.compile(rf"^[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}$")


def normalise(text: str) -> str:
    """Upper case without spaces or dashes, as people paste it from licences."""
    return re.sub(r"[\s\-]", "", text).upper()


def check_character(first17: str) -> str:
    total = sum(
        ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check(code8: str) -> str:
    """GB 11714 check character of the organisation code (positions 9-16)."""
    total = sum(_org_value(char) * weight for char, weight in zip(code8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def is_valid(code: str) -> bool:
    if not _SHAPE.match(code):
        return False
    if check_character(code[:17]) != code[17]:
        return False
    # Position 17 is the organisation code's own check (a digit or X).
    return organisation_check(code[8:16]) == code[16]
