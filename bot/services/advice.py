"""The wage advice on a case: the research suggestion with the workers' median expected
rise from the case's latest survey (its own module: research does not depend on surveys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.services import cases, costing, research, survey_results
from bot.settings import Settings
from storage.models import EnterpriseFinance, User, WageGuideline
from storage.uow import UnitOfWork


async def case_advice(
    uow: UnitOfWork, user: User, case_id: int, now: datetime, settings: Settings
) -> research.CaseAdvice:
    """The advice with the workers' median expected rise from the case's latest survey."""
    await cases.load(uow, user, case_id)  # who may see the case, before its survey is read
    found = await survey_results.latest_for_case(uow, case_id, now, settings)
    return await research.advice_for_case(uow, user, case_id, survey_results.expected_rise(found))


# ----- the costing of a case's proposals -----
COSTING_FIELDS = {
    "rise_pct": "pct",
    "frontline_rise_pct": "pct",
    "frontline": "int",
    "frontline_average": "money",
    "minimum_wage": "money",
    "below_minimum": "int",
    "below_average": "money",
    "allowance": "money",
    "allowance_people": "int",
    "overtime_base_raise": "money",
    "overtime_hours": "int",
}


def priced(finance: EnterpriseFinance | None, form: Mapping[str, object]) -> costing.Package:
    """The package the form proposes, costed with the enterprise's accounts."""

    def dec(name: str) -> Decimal | None:
        value = form.get(name)
        return None if value in (None, "") else Decimal(str(value))

    def whole(name: str) -> int | None:
        value = form.get(name)
        return None if value in (None, "") else int(str(value))

    figures = costing.Figures(
        headcount=finance.headcount if finance else None,
        average_wage=finance.average_wage if finance else None,
        wage_bill=finance.wage_bill if finance else None,
        frontline=whole("frontline"),
        frontline_average=dec("frontline_average"),
        below_minimum=whole("below_minimum"),
        below_average=dec("below_average"),
        overtime_hours=whole("overtime_hours"),
    )
    proposals = costing.Proposals(
        rise_pct=dec("rise_pct"),
        frontline_rise_pct=dec("frontline_rise_pct"),
        minimum_wage=dec("minimum_wage"),
        allowance=dec("allowance"),
        allowance_people=whole("allowance_people"),
        overtime_base_raise=dec("overtime_base_raise"),
    )
    return costing.package(figures, proposals)


@dataclass(frozen=True)
class CaseCosting:
    package: costing.Package
    guideline: WageGuideline | None
    median: Decimal | None  # the workers' expected rise

    @property
    def position(self) -> str:
        """Where the package, as a share of the wage bill, sits against the guideline:
        below, base (lower to baseline), upper (baseline to upper), above; "" when unknown."""
        g, share = self.guideline, self.package.share
        if g is None or share is None:
            return ""
        if share > g.upper_pct:
            return "above"
        if share < g.lower_pct:
            return "below"
        return "base" if share <= g.baseline_pct else "upper"


async def case_costing(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    form: Mapping[str, object],
    now: datetime,
    settings: Settings,
) -> CaseCosting:
    """The form's package with last year's accounts, beside the guideline, the CPI and the
    workers' median expected rise."""
    case, _ = await cases.load(uow, user, case_id)
    [enterprise, *_] = await uow.cases.enterprises_of(case_id)
    finance = await uow.research.finance(enterprise.id or 0, case.year - 1)
    org = await uow.orgs.get(case.org_id)
    found = await research.guideline_for(uow, org, case.year) if org else None
    results = await survey_results.latest_for_case(uow, case_id, now, settings)
    guideline = found[1] if found else None
    return CaseCosting(priced(finance, form), guideline, survey_results.expected_rise(results))


# The topics whose clauses the costed proposals change (wage contracts' chapters and the
# comprehensive contract's 劳动报酬): their cards show those proposals' yearly cost.
COSTED_TOPICS: dict[str, tuple[str, ...]] = {
    "pay": ("rise", "minimum", "allowance", "overtime"),
    "pay_adjust": ("rise",),
    "pay_extra": ("allowance", "overtime"),
}


@dataclass(frozen=True)
class TopicCosting:
    items: list[costing.Item]  # the proposals this topic carries
    case: CaseCosting  # the whole package, against the guideline


async def topic_costing(uow: UnitOfWork, case_id: int, topic_key: str) -> TopicCosting | None:
    """The saved costing as a wage topic's card shows it; None for a topic no proposal
    changes, or before anything is costed. The caller has checked the case is visible."""
    keys = COSTED_TOPICS.get(topic_key)
    case = await uow.cases.get(case_id)
    if keys is None or case is None or not (case.costing or {}).get("rise_pct"):
        return None
    [enterprise, *_] = await uow.cases.enterprises_of(case_id)
    finance = await uow.research.finance(enterprise.id or 0, case.year - 1)
    org = await uow.orgs.get(case.org_id)
    found = await research.guideline_for(uow, org, case.year) if org else None
    package = priced(finance, case.costing)
    items = [i for i in package.items if i.key in keys]
    if not items:
        return None
    return TopicCosting(items, CaseCosting(package, found[1] if found else None, None))


async def save_costing(
    uow: UnitOfWork, user: User, case_id: int, form: Mapping[str, object], now: datetime
) -> None:
    case = await cases.editable(uow, user, case_id)
    case.costing = {name: form.get(name) or "" for name in COSTING_FIELDS}
    case.updated_at = now
