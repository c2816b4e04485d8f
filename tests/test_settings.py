"""Settings: statutory defaults, overrides, and one clear line per bad value."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from bot.settings import Settings, SettingsError, describe_validation_error, load_settings


def test_defaults_are_the_statutory_numbers():
    s = Settings(_env_file=None)
    assert s.database_url == "sqlite+aiosqlite:///data/xieshang.db"
    assert s.timezone == "Asia/Shanghai"
    assert s.default_locale == "zh"
    legal = s.legal
    assert legal.reply_days == 20
    assert legal.data_days_before == 5
    assert legal.min_reps_per_side == 3
    assert legal.congress_attendance == Fraction(2, 3)
    assert legal.congress_approval == Fraction(1, 2)
    assert legal.filing_days == 10
    assert legal.wage_filing_days == 7
    assert legal.review_days == 15
    assert (legal.term_min_years, legal.term_max_years) == (1, 3)
    assert legal.renewal_window_months == 3
    assert (legal.age_normal_limit, legal.age_extended_limit) == (65, 68)
    assert s.sender_global_rate == 30
    assert s.sender_chat_rate == 1


def test_empty_values_mean_unset(tmp_path, monkeypatch):
    example = tmp_path / ".env"
    example.write_text(
        (__import__("pathlib").Path(__file__).parent.parent / ".env.example").read_text()
    )
    s = Settings(_env_file=example)
    assert s.bot_token is None
    assert s.webhook_url is None
    assert s.redis_url is None


def test_overrides_from_environment(monkeypatch):
    monkeypatch.setenv("LEGAL__REPLY_DAYS", "15")
    monkeypatch.setenv("LEGAL__CONGRESS_ATTENDANCE", "3/4")
    s = Settings(_env_file=None)
    assert s.legal.reply_days == 15
    assert s.legal.congress_attendance == Fraction(3, 4)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIMEZONE", "Mars/Base", "Setting TIMEZONE: unknown time zone"),
        ("DATABASE_URL", "mysql://x", "Setting DATABASE_URL:"),
        ("DEFAULT_LOCALE", "fr", "Setting DEFAULT_LOCALE:"),
        ("LEGAL__REPLY_DAYS", "zero", "Setting LEGAL__REPLY_DAYS:"),
        ("LEGAL__CONGRESS_ATTENDANCE", "5/3", "Setting LEGAL__CONGRESS_ATTENDANCE: must lie"),
        ("WEBHOOK_URL", "https://x.org", "WEBHOOK_SECRET is required"),
        ("BOT_API_URL", "ftp://x", "Setting BOT_API_URL:"),
    ],
)
def test_bad_settings_fail_with_one_line_naming_them(monkeypatch, capsys, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    line = describe_validation_error(info.value)
    assert expected in line
    assert len(line.splitlines()) == 1
    with pytest.raises(SettingsError):
        load_settings(_env_file=None)
    assert expected in capsys.readouterr().err
