"""Whole numbers as people type them and as buttons carry them: the one parser for both.

`str.isdigit()` then `int()` crashes on '²' (a digit to Python, not to `int`) and lets
'99999999999' overflow a date; these never raise and never return a value out of range.
Imports nothing from the domain.
"""

from __future__ import annotations

import re
import unicodedata

CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "壹": 1,
    "二": 2,
    "两": 2,
    "贰": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_CHINESE_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
# What may follow a count without changing it: 5人, 2 年, 3个, 十二名, 15号, 30日.
_SUFFIXES = ("人", "名", "个", "份", "次", "年", "岁", "天", "位", "家", "号", "日")
_ASCII_INT = re.compile(r"[0-9]{1,18}")
# Superscript and subscript digits: digits to Python and to NFKC, never typed as a number.
SCRIPT_DIGITS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉")


def _chinese(text: str) -> int | None:
    """一百二十 → 120, 两 → 2, 十二 → 12, 三万五千 → 35000, 二〇二六 → 2026."""
    if not text or any(
        c not in CHINESE_DIGITS and c not in _CHINESE_UNITS and c != "万" for c in text
    ):
        return None
    if all(c in CHINESE_DIGITS for c in text):  # digit by digit: 二〇二六
        return int("".join(str(CHINESE_DIGITS[c]) for c in text))
    total = section = number = 0
    for char in text:
        if char in CHINESE_DIGITS:
            number = CHINESE_DIGITS[char]
        elif char in _CHINESE_UNITS:
            section += (number or (1 if char in "十拾" else 0)) * _CHINESE_UNITS[char]
            number = 0
        else:  # 万
            total += (section + number) * 10_000
            section = number = 0
    return total + section + number


def parse_int(text: str, low: int, high: int) -> int | None:
    """A whole number typed in any usual way: ASCII or full-width digits, thousands
    separators (1,200 / 1，200), Chinese numerals (两, 十二, 一百二十), a unit after it (5人,
    2年); None when it is not a whole number within [low, high]. Never raises."""
    if any(char in SCRIPT_DIGITS for char in text):  # ² is a digit to Python, not to a person
        return None
    value = unicodedata.normalize("NFKC", text).strip()
    for suffix in _SUFFIXES:
        value = value.removesuffix(suffix).strip()
    value = re.sub(r"(?<=\d)[,，\s](?=\d{3}\b)", "", value)
    number = int(value) if _ASCII_INT.fullmatch(value) else _chinese(value)
    if number is None or not low <= number <= high:
        return None
    return number


def button_int(value: str, low: int, high: int) -> int | None:
    """A number a button carries: ASCII digits only (a forged '²' or '１' is no number),
    within [low, high]; None otherwise."""
    if not _ASCII_INT.fullmatch(value):
        return None
    number = int(value)
    return number if low <= number <= high else None


_NUMERALS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 20 → 二十, 101 → 一百零一, 110 → 一百一十 (as 第X条 and
    第X章 print them); 1 ≤ number ≤ 9999."""
    if not 1 <= number <= 9999:
        raise ValueError(f"no Chinese numeral for {number}")
    if 10 <= number < 20:
        return "十" + (_NUMERALS[number - 10] if number > 10 else "")
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit % 10
        if digit:
            if zero and out:
                out += "零"
            out += _NUMERALS[digit] + name
            zero = False
        elif out:
            zero = True
    return out
