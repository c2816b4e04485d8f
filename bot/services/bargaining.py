"""The bargaining procedure as pure rules: stages and their legal transitions, the dates
the law derives from them, the representative rules and the workers' congress vote.

Every number comes from `LegalSettings` (domain guide, section 3).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from bot.settings import LegalSettings
from storage.models import BargainingCase, CaseType, Side, Stage

# A contract in force: from the end of the review until it expires.
IN_FORCE_STAGES = frozenset({Stage.in_force, Stage.performing, Stage.expiring})

TRANSITIONS: dict[Stage, tuple[Stage, ...]] = {
    Stage.preparing: (Stage.offer_sent, Stage.terminated),
    Stage.offer_sent: (Stage.reply_received, Stage.terminated),
    Stage.reply_received: (Stage.negotiating, Stage.terminated),
    Stage.negotiating: (Stage.suspended, Stage.draft, Stage.terminated),
    Stage.suspended: (Stage.negotiating, Stage.terminated),
    Stage.draft: (Stage.signed, Stage.negotiating, Stage.terminated),
    Stage.signed: (Stage.filed,),
    Stage.filed: (Stage.in_force, Stage.negotiating),
    Stage.in_force: (Stage.performing, Stage.expiring, Stage.terminated),
    Stage.performing: (Stage.expiring, Stage.terminated),
    Stage.expiring: (Stage.renewed, Stage.terminated),
    Stage.renewed: (),
    Stage.terminated: (),
}


# At which stages each deadline is still awaited.
PENDING_AT: dict[str, frozenset[Stage]] = {
    "reply_due": frozenset({Stage.offer_sent}),
    "data_due": frozenset({Stage.offer_sent, Stage.reply_received, Stage.negotiating}),
    "filing_due": frozenset({Stage.signed}),
    "review_ends": frozenset({Stage.filed}),
    "resume_due": frozenset({Stage.suspended}),
    "publication_due": frozenset({Stage.in_force}),
    "renewal_opens": frozenset({Stage.in_force, Stage.performing}),
    "expiry": frozenset({Stage.in_force, Stage.performing, Stage.expiring}),
}


class TransitionRefused(ValueError):
    """An illegal move; `reason` is a text key explaining why."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def check_transition(
    current: Stage,
    target: Stage,
    on: date,
    last_change: date | None,
    congress_passed: bool,
    effective: date | None = None,
) -> None:
    """Raise TransitionRefused unless `current → target` on date `on` is allowed.
    `effective`: the day the filed contract takes effect (the review's end + 1); a contract
    is not in force before it."""
    if target not in TRANSITIONS[current]:
        raise TransitionRefused("cases.illegal_transition", current=current, target=target)
    if last_change is not None and on < last_change:
        raise TransitionRefused("cases.date_before_previous", previous=last_change)
    if target is Stage.signed and not congress_passed:
        raise TransitionRefused("cases.congress_first")
    if target is Stage.in_force and effective is not None and on < effective:
        raise TransitionRefused("cases.not_yet_in_force", effective=effective)


@dataclass(frozen=True)
class Milestones:
    """Dates recorded for a case, by the stage they started."""

    offer: date | None = None
    first_round: date | None = None
    signed: date | None = None
    filed: date | None = None
    term_years: int | None = None
    suspended: date | None = None  # the day talks were paused, while they are
    published: date | None = None  # the contract in force was published to all staff


def milestones(case: BargainingCase) -> Milestones:
    return Milestones(
        case.offer_on,
        case.first_round_on,
        case.signed_on,
        case.filed_on,
        case.term_years,
        case.stage_on if case.stage is Stage.suspended else None,
        case.published_on,
    )


@dataclass(frozen=True)
class Deadlines:
    reply_due: date | None
    data_due: date | None
    filing_due: date | None
    review_ends: date | None  # the contract takes effect the day after, absent objection
    effective: date | None
    expiry: date | None
    renewal_opens: date | None
    resume_due: date | None = None  # talks paused: resumed by then (the suspension limit)
    publication_due: date | None = None  # in force: published to all staff by then

    def upcoming(self, today: date, stage: Stage) -> list[tuple[str, date]]:
        """(name, date) of the deadlines still ahead at this stage, soonest first: the
        reply is awaited only while the offer is out, the filing only once signed, and so
        on (a deadline whose event happened is no longer a deadline)."""
        named = [
            ("reply_due", self.reply_due),
            ("data_due", self.data_due),
            ("filing_due", self.filing_due),
            ("review_ends", self.review_ends),
            ("resume_due", self.resume_due),
            ("publication_due", self.publication_due),
            ("renewal_opens", self.renewal_opens),
            ("expiry", self.expiry),
        ]
        return sorted(
            ((n, d) for n, d in named if d is not None and d >= today and stage in PENDING_AT[n]),
            key=lambda x: x[1],
        )


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadlines(case_type: CaseType, m: Milestones, legal: LegalSettings) -> Deadlines:
    wage = case_type is CaseType.wage
    reply_due = m.offer + timedelta(days=legal.reply_days) if m.offer else None
    data_due = m.first_round - timedelta(days=legal.data_days_before) if m.first_round else None
    filing_days = legal.wage_filing_days if wage else legal.filing_days
    filing_due = m.signed + timedelta(days=filing_days) if m.signed else None
    review_ends = m.filed + timedelta(days=legal.review_days) if m.filed else None
    effective = review_ends + timedelta(days=1) if review_ends else None
    expiry = renewal = None
    if effective and m.term_years:
        expiry = add_months(effective, 12 * m.term_years) - timedelta(days=1)
        renewal = (
            expiry - timedelta(days=legal.wage_renewal_window_days)
            if wage
            else add_months(expiry, -legal.renewal_window_months)
        )
    resume = m.suspended + timedelta(days=legal.suspension_max_days) if m.suspended else None
    # Publication is awaited until it is recorded.
    publication = (
        effective + timedelta(days=legal.publication_days)
        if effective and m.published is None
        else None
    )
    return Deadlines(
        reply_due,
        data_due,
        filing_due,
        review_ends,
        effective,
        expiry,
        renewal,
        resume,
        publication,
    )


@dataclass(frozen=True)
class Representative:
    name: str
    side: Side
    chief: bool = False
    expert: bool = False
    woman: bool = False


def representative_problems(
    reps: Sequence[Representative], headcount: int, women: int, legal: LegalSettings
) -> list[tuple[str, dict[str, object]]]:
    """Every rule the line-up breaks, as (text key, parameters); empty when all is well."""
    problems: list[tuple[str, dict[str, object]]] = []
    by_side = {side: [r for r in reps if r.side is side] for side in Side}
    for side, members in by_side.items():
        if len(members) < legal.min_reps_per_side:
            problems.append(("cases.too_few_reps", {"side": side, "min": legal.min_reps_per_side}))
        if len(members) > legal.max_reps_per_side:
            problems.append(("cases.too_many_reps", {"side": side, "max": legal.max_reps_per_side}))
        chiefs = [r for r in members if r.chief]
        if len(chiefs) != 1:
            problems.append(("cases.one_chief", {"side": side, "count": len(chiefs)}))
        if any(r.chief and r.expert for r in members):
            problems.append(("cases.expert_chief", {"side": side}))
        experts = sum(r.expert for r in members)
        if members and Fraction(experts, len(members)) > legal.expert_max_share:
            problems.append(
                ("cases.too_many_experts", {"side": side, "share": str(legal.expert_max_share)})
            )
    if len(by_side[Side.workers]) != len(by_side[Side.employer]):
        problems.append(("cases.unequal_sides", {}))
    both = {r.name for r in by_side[Side.workers]} & {r.name for r in by_side[Side.employer]}
    if both:
        problems.append(("cases.on_both_sides", {"names": "、".join(sorted(both))}))
    if (
        headcount > 0
        and Fraction(women, headcount) >= legal.women_rep_threshold
        and not any(r.woman for r in by_side[Side.workers])
    ):
        problems.append(("cases.woman_rep_needed", {"share": str(legal.women_rep_threshold)}))
    return problems


@dataclass(frozen=True)
class CongressResult:
    quorum: bool
    passed: bool
    needed_present: int
    needed_yes: int


def congress_vote(total: int, present: int, yes: int, legal: LegalSettings) -> CongressResult:
    """Workers' congress: quorum of `congress_attendance` of ALL representatives, and
    approval by MORE than `congress_approval` of ALL representatives (not of those present)."""
    if total <= 0 or not 0 <= yes <= present <= total:
        raise ValueError("need 0 <= yes <= present <= total, total > 0")
    quorum_fraction = legal.congress_attendance
    needed_present = -(-total * quorum_fraction.numerator // quorum_fraction.denominator)
    approval = legal.congress_approval
    needed_yes = total * approval.numerator // approval.denominator + 1
    quorum = present >= needed_present
    return CongressResult(quorum, quorum and yes >= needed_yes, needed_present, needed_yes)
