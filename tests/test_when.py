"""One parser for days and moments, for every form: what people type, never a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.when import parse_day, parse_moment, parse_time

TODAY = date(2026, 11, 24)  # a Tuesday
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("今天", TODAY),
        ("明天", date(2026, 11, 25)),
        ("后天", date(2026, 11, 26)),
        ("昨天", date(2026, 11, 23)),
        ("下周一", date(2026, 11, 30)),
        ("下星期五", date(2026, 12, 4)),
        ("周日", date(2026, 11, 29)),
        ("12月15日", date(2026, 12, 15)),
        ("12月15号", date(2026, 12, 15)),
        ("2026年12月15日", date(2026, 12, 15)),
        ("2026-12-15", date(2026, 12, 15)),
        ("2026/12/15", date(2026, 12, 15)),
        ("２０２６－１２－１５", date(2026, 12, 15)),
        ("12/15", date(2026, 12, 15)),
        ("20261215", date(2026, 12, 15)),
        ("tomorrow", date(2026, 11, 25)),
    ],
)
def test_days(typed: str, day: date):
    assert parse_day(typed, TODAY) == day


@pytest.mark.parametrize("typed", ["2月30日", "2026-13-01", "下周八", "很快", "", "99999999"])
def test_not_days(typed: str):
    assert parse_day(typed, TODAY) is None


def test_relative_words_need_today():
    assert parse_day("明天") is None
    assert parse_day("2026-12-15") == date(2026, 12, 15)


@pytest.mark.parametrize(
    ("typed", "clock"),
    [
        ("9:00", time(9, 0)),
        ("9：30", time(9, 30)),
        ("9点", time(9, 0)),
        ("9点半", time(9, 30)),
        ("下午3点", time(15, 0)),
        ("晚上8点30分", time(20, 30)),
        ("上午10时", time(10, 0)),
        ("14h00", time(14, 0)),
    ],
)
def test_times(typed: str, clock: time):
    assert parse_time(typed) == clock


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("12月10日上午9点", datetime(2026, 12, 10, 9, 0)),
        ("明天 9:00", datetime(2026, 11, 25, 9, 0)),
        ("明天下午2点半", datetime(2026, 11, 25, 14, 30)),
        ("2026-12-15 14:30", datetime(2026, 12, 15, 14, 30)),
        ("下周一 9点", datetime(2026, 11, 30, 9, 0)),
        ("today 09h00", datetime(2026, 11, 24, 9, 0)),
    ],
)
def test_moments(typed: str, local: datetime):
    found = parse_moment(typed, NOW, ZONE)
    assert found is not None
    assert found.astimezone(ZONE).replace(tzinfo=None) == local


@given(st.text(max_size=30))
def test_never_a_crash(text: str):
    parse_day(text, TODAY)
    parse_time(text)
    parse_moment(text, NOW, ZONE)
