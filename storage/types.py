"""Column types that keep Python values honest across SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, timezone-aware UTC datetimes out.

    SQLite has no time zones and hands back naive values; this type stores UTC and
    re-attaches it on the way out, and refuses naive datetimes on the way in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(sa.types.TypeDecorator[Decimal]):
    """Exact decimals (money, percentages) as NUMERIC(precision, scale).

    PostgreSQL keeps NUMERIC exactly. SQLite's NUMERIC is a float, so there the value is
    stored as a whole number of the smallest unit (hundredths at scale 2) — exact, and still
    ordered and summed correctly — and read back as a Decimal. Values are rounded half up to
    the scale on the way in."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2) -> None:
        super().__init__(precision, scale)
        self.precision, self.scale = precision, scale

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":  # whole numbers: no conversion through float
            return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | float | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        step = Decimal(1).scaleb(-self.scale)
        exact = Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)
        return int(exact.scaleb(self.scale)) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)


E = TypeVar("E", bound=StrEnum)


class EnumString(sa.types.TypeDecorator[E]):
    """A StrEnum kept as a short VARCHAR (portable, easy to extend), read back as the enum."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[E], length: int | None = None) -> None:
        self.enum = enum
        super().__init__(length=length or max(len(member.value) for member in enum))

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)
