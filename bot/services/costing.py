"""What a demand costs the employer, in Decimal: pure functions over the enterprise's
figures (the monthly average wage in yuan, the headcount, the yearly wage bill in 万元).

A rise of p % on an average monthly wage w for n people costs w × 12 × n × p / 100 yuan a
year; shown in 万元, the unit of the enterprise's accounts, and as a share of last year's
wage bill. Imports nothing from the domain."""

from __future__ import annotations

from dataclasses import dataclass
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


# ----- a package of proposals -----
WORK_DAYS_A_MONTH = Decimal("21.75")  # the statutory monthly working days for pay
HOURS_A_DAY = 8
OVERTIME_RATE = Decimal("1.5")  # a working day's overtime (the setting's default)


@dataclass(frozen=True)
class Figures:
    """What the costing reads: the enterprise's accounts (headcount, the monthly average
    wage in yuan, the yearly wage bill in 万元) and what the costing form adds."""

    headcount: int | None = None
    average_wage: Decimal | None = None
    wage_bill: Decimal | None = None
    frontline: int | None = None  # front-line workers
    frontline_average: Decimal | None = None
    below_minimum: int | None = None  # people paid under the proposed enterprise minimum
    below_average: Decimal | None = None  # their average monthly wage
    overtime_hours: int | None = None  # working-day overtime hours a year, all staff


@dataclass(frozen=True)
class Proposals:
    rise_pct: Decimal | None = None
    frontline_rise_pct: Decimal | None = None  # a band: front-line at least the average
    minimum_wage: Decimal | None = None  # a new enterprise minimum, yuan a month
    allowance: Decimal | None = None  # a new or higher allowance, yuan a person a month
    allowance_people: int | None = None
    overtime_base_raise: Decimal | None = None  # the overtime base up by so much a month


@dataclass(frozen=True)
class Item:
    key: str  # rise, minimum, allowance, overtime
    cost: Decimal | None  # 万元 a year; None while figures are missing
    missing: tuple[str, ...] = ()  # the figures it waits for


@dataclass(frozen=True)
class Package:
    items: list[Item]
    total: Decimal  # of the items that could be costed
    share: Decimal | None  # of last year's wage bill, %
    missing: list[str]  # every figure still needed, once


def _wan(yuan: Decimal) -> Decimal:
    return (yuan / WAN).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _need(**figures: object) -> tuple[str, ...]:
    return tuple(name for name, value in figures.items() if value is None)


def _rise(f: Figures, p: Proposals) -> Item | None:
    if p.rise_pct is None:
        return None
    need = _need(headcount=f.headcount, average_wage=f.average_wage)
    band = p.frontline_rise_pct is not None and p.frontline_rise_pct != p.rise_pct
    if band:
        need += _need(frontline=f.frontline, frontline_average=f.frontline_average)
    if need:
        return Item("rise", None, need)
    assert f.headcount is not None
    assert f.average_wage is not None
    if not band:
        return Item("rise", yearly_rise_cost(f.average_wage, f.headcount, p.rise_pct))
    assert f.frontline is not None
    assert f.frontline_average is not None
    assert p.frontline_rise_pct is not None
    others = max(f.headcount - f.frontline, 0)
    others_bill = f.average_wage * f.headcount - f.frontline_average * f.frontline
    others_average = others_bill / others if others else Decimal(0)
    yuan = 12 * (
        f.frontline * f.frontline_average * p.frontline_rise_pct
        + others * others_average * p.rise_pct
    )
    return Item("rise", _wan(yuan / 100))


def _minimum(f: Figures, p: Proposals) -> Item | None:
    if p.minimum_wage is None:
        return None
    need = _need(below_minimum=f.below_minimum, below_average=f.below_average)
    if need:
        return Item("minimum", None, need)
    assert f.below_minimum is not None
    assert f.below_average is not None
    gap = max(p.minimum_wage - f.below_average, Decimal(0))
    return Item("minimum", _wan(gap * f.below_minimum * 12))


def _allowance(p: Proposals) -> Item | None:
    if p.allowance is None:
        return None
    if p.allowance_people is None:
        return Item("allowance", None, ("allowance_people",))
    return Item("allowance", _wan(p.allowance * p.allowance_people * 12))


def _overtime(f: Figures, p: Proposals) -> Item | None:
    if p.overtime_base_raise is None:
        return None
    if f.overtime_hours is None:
        return Item("overtime", None, ("overtime_hours",))
    hourly = p.overtime_base_raise / WORK_DAYS_A_MONTH / HOURS_A_DAY
    return Item("overtime", _wan(hourly * OVERTIME_RATE * f.overtime_hours))


def package(f: Figures, p: Proposals) -> Package:
    """Each proposal's yearly cost, their total and its share of the wage bill; a proposal
    whose figures are missing is named with them instead of being guessed."""
    items = [
        i for i in (_rise(f, p), _minimum(f, p), _allowance(p), _overtime(f, p)) if i is not None
    ]
    total = sum((i.cost for i in items if i.cost is not None), Decimal(0))
    share = share_of(total, f.wage_bill) if f.wage_bill else None
    missing = list(dict.fromkeys(name for i in items for name in i.missing))
    if f.wage_bill is None:
        missing.append("wage_bill")
    return Package(items, total, share, missing)
