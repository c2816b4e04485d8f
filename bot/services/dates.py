"""Dates people type: ISO, with slashes or dots, or in Chinese."""

from __future__ import annotations

from datetime import date

from bot.services.errors import Problem
from bot.services.when import parse_day


def parse_date(value: str, today: date | None = None) -> str:
    """'2026-12-01', '2026/12/1', '2026年12月1日', and with `today` also '明天', '下周一',
    '12月15日' → '2026-12-01' (bot/services/when.py, the one parser for days)."""
    day = parse_day(value, today)
    if day is None:
        raise Problem("common.bad_date")
    return day.isoformat()
