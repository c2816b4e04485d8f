"""Days and moments as people type them: the one parser every form uses.

Days: 今天, 明天, 后天, 大后天, 昨天, 前天 (and today/tomorrow/yesterday), 下周一, 本周五,
周三, 星期日, 12月15日, 12月15号, 2026年12月15日, 2026-12-15, 2026/12/15, 2026.12.15,
20261215, 12-15, 12/15, in ASCII or full-width digits or with spaces. A month and day
without a year is this year's.

Times: 9:00, 9：30, 9点, 9点半, 9点30分, 9时, 14h00, with 上午/早上/中午/下午/晚上 (下午3点 is
15:00).

The parsers never raise: None when the text is no day or moment; each form says in its own
words what it expects, with an example.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.errors import Problem

_OFFSETS = {
    "今天": 0,
    "今日": 0,
    "today": 0,
    "明天": 1,
    "明日": 1,
    "tomorrow": 1,
    "后天": 2,
    "大后天": 3,
    "昨天": -1,
    "昨日": -1,
    "yesterday": -1,
    "前天": -2,
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAY = re.compile(r"^(下|本|这|这个|下个)?(?:周|星期|礼拜)([一二三四五六日天七])$")
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SHORT = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_TIME = re.compile(
    r"^(上午|早上|早晨|中午|下午|晚上|傍晚)?\s*(\d{1,2})\s*(?:[:：hH]\s*(\d{2})|[点时]\s*(半|(\d{1,2})\s*分?)?)$"
)
_PM = ("下午", "晚上", "傍晚")
_DAY_THEN_TIME = re.compile(r"^(.*?[日号天]|.*?(?:周|星期|礼拜)[一二三四五六日天])(.+)$")


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).strip().lower().split())


def parse_day(text: str, today: date | None = None) -> date | None:
    """A day; words relative to today (今天, 下周一) only when `today` is given."""
    value = _normal(text).replace(" ", "")
    try:
        if value in _OFFSETS:
            return None if today is None else today + timedelta(days=_OFFSETS[value])
        if match := _WEEKDAY.match(value):
            if today is None:
                return None
            monday = today - timedelta(days=today.weekday())
            if match.group(1) in ("下", "下个"):
                monday += timedelta(days=7)
            return monday + timedelta(days=_WEEKDAYS[match.group(2)])
        if match := _FULL.match(value) or _COMPACT.match(value):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _SHORT.match(value):
            if today is None:
                return None
            return date(today.year, int(match.group(1)), int(match.group(2)))
    except ValueError:  # 2月30日
        return None
    return None


def day_value(text: str, today: date | None = None, key: str = "common.bad_date") -> date:
    """A day a form asked for, or the form's refusal (`key`, worded with an example)."""
    day = parse_day(text, today)
    if day is None:
        raise Problem(key)
    return day


def parse_time(text: str) -> time | None:
    value = _normal(text).replace(" ", "")
    match = _TIME.match(value)
    if not match:
        return None
    part, hour = match.group(1), int(match.group(2))
    if match.group(3) is not None:
        minute = int(match.group(3))
    elif match.group(4) == "半":
        minute = 30
    else:
        minute = int(match.group(5) or 0)
    if part in _PM and hour < 12:
        hour += 12
    if part == "中午" and hour < 11:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _split(value: str) -> tuple[str, str] | None:
    """The day part and the time part of '12月10日上午9点', '明天 9:00', '2026-12-15 14:30'."""
    if " " in value:
        day, _, clock = value.rpartition(" ")
        return day, clock
    match = re.match(
        r"^(.*?[日号天]|.*?周[一二三四五六日天]|.*?星期[一二三四五六日天])(.+)$", value
    )
    if match:
        return match.group(1), match.group(2)
    return None


def parse_moment(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """A day and a time in `zone`, as an aware UTC moment; None when either is missing."""
    value = _normal(text)
    parts = _split(value)
    if parts is None:
        return None
    today = now.astimezone(zone).date()
    day, clock = parse_day(parts[0], today), parse_time(parts[1])
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def cn_date(value: date | None) -> str:
    """2026年12月15日, as documents print dates, or blanks to write one in by hand."""
    return f"{value.year}年{value.month}月{value.day}日" if value else "　　年　　月　　日"
