"""The injected clock: business rules take `now` from here, never from `datetime.now()`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = moment.astimezone(UTC)


class ShiftedClock:
    """The system clock moved forward by whole days: the playground's "⏩ later" lets one
    walk a review period or a reminder without waiting for it. The shift is kept in a file
    (when given), so a restarted playground stays on the day its records reached."""

    SHIFT_MAX_DAYS = 3660

    def __init__(self, keep: Path | None = None) -> None:
        self._keep = keep
        days = 0
        if keep is not None and keep.is_file():
            try:
                days = int(keep.read_text().strip() or 0)
            except ValueError:
                days = 0
        self.days = max(0, min(days, self.SHIFT_MAX_DAYS))

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days)

    def shift(self, days: int) -> datetime:
        """Move on by `days` (1 to 366 at a time); the clock never goes back."""
        if not 1 <= days <= 366:
            raise ValueError("shift by 1 to 366 days")
        self.days = min(self.days + days, self.SHIFT_MAX_DAYS)
        if self._keep is not None:
            self._keep.parent.mkdir(parents=True, exist_ok=True)
            self._keep.write_text(str(self.days))
        return self.now()
