"""What a demand costs the employer, in Decimal: pure functions over the enterprise's
figures (the monthly average wage in yuan, the headcount, the yearly wage bill in 万元).

A rise of p % on an average monthly wage w for n people costs w × 12 × n × p / 100 yuan a
year; shown in 万元, the unit of the enterprise's accounts, and as a share of last year's
wage bill. Imports nothing from the domain."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10_000)


def yearly_rise_cost(average_monthly: Decimal, headcount: int, pct: Decimal) -> Decimal:
    """The yearly cost, in 万元 to one decimal, of raising the average wage by `pct` %."""
    yuan = average_monthly * 12 * headcount * pct / 100
    return (yuan / WAN).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def share_of(cost: Decimal, wage_bill: Decimal) -> Decimal | None:
    """The cost as a percentage of the wage bill (both in 万元), to one decimal."""
    if wage_bill <= 0:
        return None
    return (cost / wage_bill * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
