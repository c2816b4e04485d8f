"""Settings, read from the environment and `.env`.

Every legal number of the bargaining procedure lives in `LegalSettings` with the statutory
default (see the domain guide); a union with a local variant overrides it with
`LEGAL__<NAME>=value`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org"
Locale = Literal["zh", "en"]
LOCALES: tuple[Locale, ...] = ("zh", "en")


def _parse_fraction(value: Any) -> Fraction:
    try:
        result = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError("expected a fraction such as 2/3 or a decimal such as 0.5") from exc
    if not 0 <= result <= 1:
        raise ValueError("must lie between 0 and 1")
    return result


Ratio = Annotated[
    Fraction,
    BeforeValidator(_parse_fraction),
    PlainSerializer(lambda f: str(f), return_type=str),
]


class LegalSettings(BaseModel):
    """Numbers from the statutes and local practice (domain guide, sections 2-3)."""

    reply_days: int = Field(20, ge=1, description="days to reply to an offer (Art. 32)")
    data_days_before: int = Field(5, ge=0, description="data due this many days before talks")
    min_reps_per_side: int = Field(3, ge=1, description="representatives per side, at least")
    max_reps_per_side: int = Field(10, ge=1, description="representatives per side, at most")
    expert_max_share: Ratio = Field(Fraction(1, 3), description="outside experts, share of a side")
    vacancy_fill_days: int = Field(
        15, ge=1, description="a representative's vacancy is filled within"
    )
    women_rep_threshold: Ratio = Field(
        Fraction(1, 5), description="women share of staff from which a woman rep is required"
    )
    suspension_max_days: int = Field(60, ge=1, description="talks resume within this many days")
    congress_attendance: Ratio = Field(Fraction(2, 3), description="workers' congress quorum")
    congress_approval: Ratio = Field(
        Fraction(1, 2), description="approval needs MORE than this share of ALL representatives"
    )
    filing_days: int = Field(10, ge=1, description="file within this many days of signing")
    wage_filing_days: int = Field(7, ge=1, description="the same for wage contracts")
    review_days: int = Field(15, ge=1, description="review window after filing")
    publication_days: int = Field(10, ge=1, description="published to all staff within")
    term_min_years: int = Field(1, ge=1)
    term_max_years: int = Field(3, ge=1)
    renewal_window_months: int = Field(3, ge=1)
    wage_renewal_window_days: int = Field(60, ge=1)
    overtime_workday_pct: int = Field(150, ge=100)
    overtime_restday_pct: int = Field(200, ge=100)
    overtime_holiday_pct: int = Field(300, ge=100)
    age_normal_limit: int = Field(65, ge=18, description="instructor age limit")
    age_extended_limit: int = Field(
        68, ge=18, description="with the approval of the union one level up"
    )
    quota_province_min: int = Field(2, ge=0)
    quota_province_max: int = Field(3, ge=0)
    quota_city_min: int = Field(3, ge=0)
    quota_county_min: int = Field(3, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> LegalSettings:
        if self.age_extended_limit < self.age_normal_limit:
            raise ValueError("age_extended_limit must not be below age_normal_limit")
        if self.max_reps_per_side < self.min_reps_per_side:
            raise ValueError("max_reps_per_side must not be below min_reps_per_side")
        if self.term_max_years < self.term_min_years:
            raise ValueError("term_max_years must not be below term_min_years")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        env_ignore_empty=True,  # `WEBHOOK_URL=` in .env means "not set"
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    bot_api_url: str = TELEGRAM_API_URL
    database_url: str = "sqlite+aiosqlite:///data/xieshang.db"
    playground_database_url: str = Field(
        "sqlite+aiosqlite:///data/playground.db",
        description="the playground's own database; it never uses DATABASE_URL",
    )
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"
    default_locale: Locale = "zh"

    webhook_url: str | None = Field(None, description="public HTTPS base URL; enables webhooks")
    webhook_path: str = "/webhook"
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(8081, ge=1, le=65535)
    webhook_secret: SecretStr | None = None

    # The Mini App (the survey as a page inside Telegram): where Telegram reaches it. Served
    # beside the webhook in webhook mode, on webapp_host:webapp_port when polling.
    public_url: str | None = Field(None, description="public HTTPS base URL of the Mini App")
    webapp_host: str = "127.0.0.1"
    webapp_port: int = Field(8082, ge=1, le=65535)
    webapp_name: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_]{3,30}$",
        description="the Mini App's short name at @BotFather: survey links open it (startapp)",
    )
    webapp_max_age: int = Field(
        86_400, ge=60, description="seconds a Mini App's signed initData stays valid"
    )
    housekeeping_minutes: int = Field(
        10, ge=1, le=1440, description="minutes between pruning, planner statistics and trims"
    )
    webapp_session_minutes: int = Field(
        120, ge=1, le=1440, description="how long a dashboard opened once stays signed in"
    )

    sender_global_rate: float = Field(30.0, gt=0, description="messages per second, all chats")
    sender_chat_rate: float = Field(1.0, gt=0, description="messages per second, one chat")
    sender_chat_burst: int = Field(
        3, ge=1, description="messages one private chat may get at once (a reply and its edit)"
    )
    sender_group_per_minute: float = Field(20.0, gt=0, description="messages per minute, a group")
    sender_paid_broadcast: bool = Field(
        False, description="broadcasts and digests as paid broadcasts (Telegram Stars per message)"
    )
    sender_paid_rate: float = Field(1000.0, gt=0, description="paid-broadcast messages per second")
    sender_bulk_share: float = Field(
        0.0, ge=0, le=1, description="share of the budget bulk may take while people wait"
    )
    sender_bulk_max_wait_seconds: float = Field(
        5.0, gt=0, description="bulk gets at least one send this often, however busy"
    )
    sender_give_up_seconds: float = Field(
        300.0, gt=0, description="a message flood control kept back this long is given up"
    )
    sender_max_attempts: int = Field(5, ge=1)
    throttle_rate: float = Field(3.0, gt=0, description="updates per second one user may send")
    throttle_burst: int = Field(8, ge=1)

    invite_ttl_hours: int = Field(168, ge=1)
    invite_attempt_limit: int = Field(5, ge=1, description="wrong codes per user per window")
    invite_attempt_window_minutes: int = Field(60, ge=1)
    processed_update_retention_hours: int = Field(72, ge=1)
    quiet_hours_start: time = Field(time(22, 0), description="non-urgent reminders wait until")
    quiet_hours_end: time = Field(time(8, 0), description="... the end of the quiet hours")
    reminder_tick_seconds: int = Field(30, ge=1)
    reminder_batch: int = Field(200, ge=1)
    reminder_lease_seconds: int = Field(300, ge=5, description="a claim older than this is retried")
    reminder_late_after_minutes: int = Field(10, ge=1)
    reminder_max_attempts: int = Field(5, ge=1)
    report_escalation_minutes: int = Field(
        120, ge=1, description="unacknowledged major-problem reports go one union up after this"
    )
    duty_monthly_report_cron: str = Field(
        "0 9 25 * *", description="the monthly work report (crontab: minute hour day month weekday)"
    )
    duty_contact_meeting_cron: str = Field(
        "0 9 1-7 * mon", description="the contact meeting with the liaison: first Monday"
    )
    duty_supervision_cron: str = Field(
        "0 9 1 1,4,7,10 *", description="supervision of each contract in force: each quarter"
    )
    duty_tick_minutes: int = Field(30, ge=1, description="how often duties are planned")
    digest_time: time = Field(time(8, 30), description="each instructor's morning digest")
    weekly_summary_time: time = Field(time(9, 0), description="liaisons' Monday summary")
    assessment_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "sessions": 15.0,
            "offers": 10.0,
            "signed": 10.0,
            "filed": 5.0,
            "surveys": 5.0,
            "answers": 5.0,
            "documents": 5.0,
            "training_hours": 10.0,
            "checks": 10.0,
            "rectifications": 5.0,
            "reports": 5.0,
            "assignments": 10.0,
            "response": 5.0,
        },
        description="weights of the counted indicators (JSON)",
    )
    assessment_records_share: float = Field(
        0.5, ge=0, le=1, description="share of the counted records in the total"
    )
    assessment_self_share: float = Field(
        0.3, ge=0, le=1, description="self-report's share of the evaluation (democratic: the rest)"
    )
    assignment_remind_hours: int = Field(24, ge=1, description="an unanswered task is reminded")
    assignment_escalate_hours: int = Field(48, ge=1, description="... then the liaison is told")
    broadcast_approval_above: int = Field(
        100, ge=1, description="a broadcast to more people needs a second liaison's approval"
    )
    broadcast_tick_seconds: int = Field(2, ge=1)
    broadcast_lease_seconds: int = Field(60, ge=5, description="a claim older than this is retried")
    broadcast_progress_seconds: int = Field(
        3, ge=1, description="progress message edited this often"
    )
    rectification_repeat_days: int = Field(
        3, ge=1, description="an overdue rectification item is reminded again this often"
    )
    survey_min_answers: int = Field(
        5, ge=2, description="k: results, breakdown cells and comments need this many answers"
    )
    survey_min_comments: int = Field(
        10, ge=1, description="comments are shown only once a survey has this many answers"
    )
    survey_results_live: bool = Field(
        True, description="results while open, in steps of SURVEY_MIN_ANSWERS (off: at close)"
    )
    survey_key: SecretStr | None = Field(
        None,
        description="the key that recognises a returning worker; kept out of the database and "
        "its backups (unset: read from, or made in, SURVEY_KEY_FILE)",
    )
    survey_key_file: Path = Field(Path("data/survey.key"), description="see SURVEY_KEY")
    survey_draft_days: int = Field(
        3, ge=1, description="an unfinished survey answer is deleted after this many idle days"
    )
    survey_rise_max_percent: int = Field(30, ge=1, le=100, description="highest expected rise")
    survey_max_topics: int = Field(12, ge=3, description="topics one survey may offer")
    survey_default_days: int = Field(7, ge=1, description="a new survey stays open this long")
    db_concurrency: int = Field(
        8, ge=1, description="updates handled at once; the rest queue (keep below the pool)"
    )
    render_workers: int = Field(2, ge=1, description="charts and files rendered at once")
    libreoffice: str | None = Field(
        None, description="soffice for PDF copies; found on PATH when not set"
    )
    documents_dir: Path | None = Field(
        None, description="a folder of the union's own Word templates, used before the shipped"
    )
    template_cache: bool = Field(
        True, description="keep compiled message templates on disk between starts"
    )
    template_cache_dir: Path | None = Field(
        None,
        description="where (made private to the bot's user); unset: a private folder in the "
        "system's temporary directory",
    )
    clauses_dir: Path | None = Field(
        None,
        description="a folder of the union's own model clauses (TOML, as templates/clauses/zh); "
        "a section there replaces the shipped one of the same key",
    )

    legal: LegalSettings = LegalSettings()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator(
        "duty_monthly_report_cron", "duty_contact_meeting_cron", "duty_supervision_cron"
    )
    @classmethod
    def _cron_fires(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            trigger = CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"not a crontab rule: {value!r} ({exc})") from exc
        if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
            raise ValueError(f"the rule {value!r} never fires")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("bot_api_url", "webhook_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(SystemExit):
    """Raised at start when a setting is wrong; carries one readable line per problem."""


def describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = "__".join(str(part) for part in error["loc"]).upper() or "SETTINGS"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"Setting {name}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read settings; a bad value stops the program with one line naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        print(describe_validation_error(exc), file=sys.stderr)
        raise SettingsError(2) from None
