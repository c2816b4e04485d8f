"""Research data (调查研究) and the suggested wage rise it supports.

The suggestion starts from the region's wage guideline (lower line, baseline, upper line)
and places the enterprise in it by its results: a loss-making enterprise sits at the lower
line; a profitable one gets at least the CPI, so real wages do not fall; a strong one
(margin of 10 % or more, revenue growing at least as fast as the baseline) is pointed
between the baseline and the upper line; a heavy labour-cost share keeps the top at the
baseline. Every step is returned as a reason the instructor can cite in the plan.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bot.services import access, cases, costing, enterprises
from bot.services.errors import Problem
from bot.services.money import parse_money, plain
from bot.services.numbers import parse_int
from bot.services.text import clean
from storage.models import EnterpriseFinance, Org, User, WageGuideline
from storage.uow import UnitOfWork

STRONG_MARGIN = Decimal("0.10")
HEAVY_LABOUR_SHARE = Decimal("0.5")
TENTH = Decimal("0.1")


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Suggestion:
    low: Decimal
    high: Decimal
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def suggest_rise(
    guideline: WageGuideline,
    this_year: EnterpriseFinance | None,
    last_year: EnterpriseFinance | None,
    expected: Decimal | None = None,
) -> Suggestion:
    """The range, then what it costs and how it sits against the workers' expectation."""
    found = _range(guideline, this_year, last_year)
    reasons = found.reasons
    if this_year is not None and this_year.average_wage > 0 and this_year.headcount > 0:
        low = costing.yearly_rise_cost(this_year.average_wage, this_year.headcount, found.low)
        high = costing.yearly_rise_cost(this_year.average_wage, this_year.headcount, found.high)
        reasons.append(
            (
                "research.r_cost",
                {
                    "low": found.low,
                    "high": found.high,
                    "low_cost": low,
                    "high_cost": high,
                    "share": costing.share_of(high, this_year.wage_bill),
                },
            )
        )
    if expected is not None:
        where = "above" if expected > found.high else "below" if expected < found.low else "within"
        reasons.append((f"research.r_expected_{where}", {"median": plain(expected)}))
    return found


def _range(
    guideline: WageGuideline,
    this_year: EnterpriseFinance | None,
    last_year: EnterpriseFinance | None,
) -> Suggestion:
    g = guideline
    reasons: list[tuple[str, dict[str, Any]]] = [
        (
            "research.r_guideline",
            {
                "lower": plain(g.lower_pct),
                "base": plain(g.baseline_pct),
                "upper": plain(g.upper_pct),
            },
        )
    ]
    if this_year is None:
        reasons.append(("research.r_no_data", {}))
        return Suggestion(_tenth(g.lower_pct), _tenth(g.baseline_pct), reasons)
    if this_year.profit < 0:
        reasons.append(("research.r_loss", {"profit": plain(this_year.profit)}))
        return Suggestion(_tenth(g.lower_pct), _tenth(g.lower_pct), reasons)

    margin = this_year.profit / this_year.revenue if this_year.revenue > 0 else Decimal(0)
    growth = None
    if last_year is not None and last_year.revenue > 0:
        growth = (this_year.revenue - last_year.revenue) / last_year.revenue * 100
    strong = margin >= STRONG_MARGIN and (growth is None or growth >= g.baseline_pct)
    if strong:
        low, high = g.baseline_pct, g.upper_pct
        reasons.append(
            ("research.r_strong", {"margin": _tenth(margin * 100), "growth": _pct(growth)})
        )
    else:
        low, high = g.lower_pct, g.baseline_pct
        reasons.append(
            ("research.r_moderate", {"margin": _tenth(margin * 100), "growth": _pct(growth)})
        )
    if low < g.cpi_pct:
        low = min(g.cpi_pct, high)
        reasons.append(("research.r_cpi", {"cpi": plain(g.cpi_pct)}))
    share = this_year.labour_cost / this_year.revenue if this_year.revenue > 0 else Decimal(0)
    if share > HEAVY_LABOUR_SHARE and high > g.baseline_pct:
        high = g.baseline_pct
        reasons.append(("research.r_labour_heavy", {"share": _tenth(share * 100)}))
    if this_year.average_wage * (1 + low / 100) < g.minimum_wage:
        reasons.append(
            (
                "research.r_minimum",
                {"minimum": plain(g.minimum_wage), "average": plain(this_year.average_wage)},
            )
        )
    return Suggestion(_tenth(low), _tenth(high), reasons)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{_tenth(value)}"


def parse_amount(text: str, allow_negative: bool = False) -> Decimal:
    """An amount of the enterprise's accounts, in 万元 ('1,200', '１２００万元', '-35.5')."""
    low = Decimal(-1_000_000_000) if allow_negative else Decimal(0)
    amount = parse_money(clean(text).removesuffix("万"), low, Decimal(1_000_000_000), unit="万元")
    if amount is None:
        raise Problem("research.bad_amount")
    return amount


def parse_percent(text: str) -> Decimal:
    """A rate of the guideline or the CPI: '6.5', '６.５％', '-1.2'; between -20 and 50."""
    value = unicodedata.normalize("NFKC", clean(text)).strip().removesuffix("%").strip()
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Problem("research.bad_percent") from None
    if not number.is_finite() or not -20 <= number <= 50:
        raise Problem("research.bad_percent")
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_year(text: str, this_year: int) -> int:
    value = parse_int(clean(text), this_year - 10, this_year)
    if value is None:
        raise Problem("research.bad_year", low=this_year - 10, high=this_year)
    return value


async def save_finance(
    uow: UnitOfWork, user: User, enterprise_id: int, form: dict[str, Any], now: datetime
) -> EnterpriseFinance:
    await enterprises.visible(uow, user, enterprise_id)
    revenue = parse_amount(str(form["revenue"]))
    record = EnterpriseFinance(
        enterprise_id=enterprise_id,
        year=int(form["year"]),
        revenue=revenue,
        profit=parse_amount(str(form["profit"]), allow_negative=True),
        labour_cost=parse_amount(str(form["labour_cost"])),
        wage_bill=parse_amount(str(form["wage_bill"])),
        average_wage=parse_amount(str(form["average_wage"])),
        headcount=int(form["headcount"]),
        updated_at=now,
    )
    if record.labour_cost > revenue > 0 and record.profit > 0:
        raise Problem("research.inconsistent")
    await uow.research.save(record)
    return record


async def save_guideline(
    uow: UnitOfWork, liaison: User, form: dict[str, Any], now: datetime
) -> WageGuideline:
    access.liaison(liaison)
    record = WageGuideline(
        org_id=liaison.org_id,
        year=int(form["year"]),
        baseline_pct=parse_percent(str(form["baseline"])),
        upper_pct=parse_percent(str(form["upper"])),
        lower_pct=parse_percent(str(form["lower"])),
        minimum_wage=parse_amount(str(form["minimum_wage"])),
        cpi_pct=parse_percent(str(form["cpi"])),
        updated_at=now,
    )
    if not record.lower_pct <= record.baseline_pct <= record.upper_pct:
        raise Problem("research.lines_out_of_order")
    await uow.research.save(record)
    return record


async def guideline_for(uow: UnitOfWork, org: Org, year: int) -> tuple[Org, WageGuideline] | None:
    """The guideline of `org` for `year`, or of the nearest union above that has one; failing
    that, the most recent earlier one found the same way (the caller says which year)."""
    for exact in (True, False):
        current: Org | None = org
        while current is not None:
            if exact:
                found = await uow.research.guideline(current.id or 0, year)
            else:
                found = await uow.research.latest_guideline(current.id or 0, year)
            if found is not None:
                return current, found
            current = await uow.orgs.get(current.parent_id) if current.parent_id else None
    return None


@dataclass(frozen=True)
class CaseAdvice:
    enterprise: str
    year: int
    region: str | None
    this_year: EnterpriseFinance | None
    suggestion: Suggestion | None


async def advice_for_case(
    uow: UnitOfWork, user: User, case_id: int, expected: Decimal | None = None
) -> CaseAdvice:
    """The suggestion for a case's first enterprise, from last year's figures, the
    guideline of the case's year (or the latest, said so) and the workers' expected rise."""
    case, _ = await cases.load(uow, user, case_id)
    [enterprise, *_] = await uow.cases.enterprises_of(case_id)
    data_year = case.year - 1
    this_year = await uow.research.finance(enterprise.id or 0, data_year)
    before = await uow.research.finance(enterprise.id or 0, data_year - 1)
    org = await uow.orgs.get(enterprise.org_id)
    assert org is not None
    found = await guideline_for(uow, org, case.year)
    if found is None:
        return CaseAdvice(enterprise.name, case.year, None, this_year, None)
    region, guideline = found
    suggestion = suggest_rise(guideline, this_year, before, expected)
    if guideline.year != case.year:
        suggestion.reasons.insert(
            0, ("research.r_older_guideline", {"year": guideline.year, "wanted": case.year})
        )
    return CaseAdvice(enterprise.name, case.year, region.name, this_year, suggestion)


async def finances_of(
    uow: UnitOfWork, user: User, enterprise_id: int, years: list[int]
) -> list[EnterpriseFinance]:
    await enterprises.visible(uow, user, enterprise_id)
    found = [await uow.research.finance(enterprise_id, year) for year in years]
    return [f for f in found if f is not None]
