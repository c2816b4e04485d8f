"""Drafting documents: which of the ten types asks for what, what the records already know,
and every generated file kept as a numbered version with the data it was built from."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import (
    cases,
    clauses,
    congress,
    contracts,
    filing,
    research,
    supervision,
    survey_results,
)
from bot.services.errors import AccessDenied, Problem
from bot.services.money import parse_money, plain
from bot.services.numbers import parse_int
from bot.services.profiles import today_in
from bot.services.rounds import parse_when
from bot.services.text import clean
from bot.services.when import day_value
from bot.settings import LegalSettings, Settings
from storage.models import (
    BargainingCase,
    CaseDocument,
    CaseRepresentative,
    CaseTopic,
    Congress,
    Enterprise,
    EnterpriseFinance,
    NegotiationRound,
    Side,
    Stage,
    User,
    WageGuideline,
)
from storage.uow import UnitOfWork

KINDS = (
    "offer",
    "reply",
    "plan",
    "minutes",
    "contract",
    "wage",
    "women",
    "safety",
    "supervision",
    "resolution",
    "filing",
)
CONTRACTS = ("contract", "wage", "women", "safety")
TEXT_MAX, LONG_MAX = 200, 2000


@dataclass(frozen=True)
class Ask:
    """A field the interview asks for unless the records already know it."""

    name: str
    kind: str = "text"  # text, long, date, datetime, int, percent, money, day, choice
    optional: bool = False
    choices: tuple[str, ...] = ()


# A contract is drafted (open topics marked) or final (refused while a topic is open).
_EDITION = Ask("edition", "choice", choices=("draft", "final"))
_YES_NO = ("yes", "no")
_PARTY = (Ask("legal_rep"), Ask("economic_type"), Ask("union_name"), Ask("how_chosen"))
_SHIFTS = Ask("shift_work", "choice", choices=_YES_NO)
ASKS: dict[str, tuple[Ask, ...]] = {
    "offer": (
        Ask("addressee"),
        Ask("first_meeting", "datetime"),
        Ask("place"),
        Ask("reps_per_side", "int"),
        Ask("data_requested", "long"),
        Ask("data_due", "date"),
        Ask("reply_due", "date"),
        Ask("proposals", "long", optional=True),
    ),
    "reply": (
        Ask("offer_from"),
        Ask("offer_date", "date"),
        Ask("decision", "choice", choices=("accept", "refuse")),
        Ask("reasons", "long", optional=True),
        Ask("meeting", "datetime"),
        Ask("place"),
        Ask("data_provided", "long"),
        Ask("counter_topics", "long", optional=True),
    ),
    "plan": (
        Ask("targets", "long", optional=True),
        Ask("rationale", "long", optional=True),
        Ask("publicity", "long"),
        Ask("timetable", "long"),
        Ask("fallback", "long"),
    ),
    "minutes": (
        Ask("round_no", "int"),
        Ask("chair"),
        Ask("agenda", "long"),
        Ask("statements_ours", "long"),
        Ask("statements_theirs", "long"),
    ),
    "contract": (_EDITION, *_PARTY, _SHIFTS, Ask("term_years", "years")),
    "wage": (
        _EDITION,
        *_PARTY,
        _SHIFTS,
        Ask("piece_rate", "choice", choices=_YES_NO),
        Ask("last_year_avg", "money"),
        Ask("rise_pct", "percent"),
        Ask("frontline_rise_pct", "percent"),
        Ask("enterprise_min_wage", "money"),
        Ask("pay_day", "day"),
        Ask("overtime_base"),
        Ask("term_years", "years"),
    ),
    "women": (
        _EDITION,
        *_PARTY,
        _SHIFTS,
        Ask("maternity_extra_days", "int", optional=True),
        Ask("health_check"),
        Ask("special_items", "long", optional=True),
        Ask("term_years", "years"),
    ),
    "safety": (
        _EDITION,
        *_PARTY,
        _SHIFTS,
        Ask("safety_items", "long"),
        Ask("protective_equipment"),
        Ask("health_check"),
        Ask("term_years", "years"),
    ),
    "supervision": (
        Ask("contract_name"),
        Ask("team"),
        Ask("checked_on", "date"),
        Ask("pay_findings", "long"),
        Ask("hours_findings", "long"),
        Ask("safety_findings", "long"),
        Ask("insurance_findings", "long"),
        Ask("women_findings", "long"),
        Ask("interviews", "int"),
        Ask("participation", "percent"),
        Ask("awareness", "percent"),
        Ask("satisfaction", "percent"),
        Ask("rectifications", "long", optional=True),
    ),
    "resolution": (
        Ask("union_name"),
        Ask("held_on", "date"),
        Ask("session", optional=True),  # 第三届职工代表大会第二次会议
        Ask("presiding", optional=True),
    ),
    "filing": (
        Ask("union_name"),
        Ask("submitted_to"),
        Ask("contact"),
        Ask("process_note", "long"),
    ),
}


# ----- parsing what people type -----
def _text(value: str, most: int) -> str:
    lines = [clean(line) for line in value.strip().splitlines()]
    text = "\n".join(line for line in lines if line) if most > TEXT_MAX else " ".join(lines)
    if not 1 <= len(text) <= most:
        raise Problem("documents.bad_text", max=most)
    return text


def _number(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().rstrip("%％元").replace(",", "").strip()


def parse_answer(ask: Ask, value: str, now: datetime, zone: ZoneInfo, legal: LegalSettings) -> str:
    """Validate one typed answer; answers are kept as text (ISO for dates)."""
    if ask.kind == "long":
        return _text(value, LONG_MAX)
    if ask.kind == "text":
        return _text(value, TEXT_MAX)
    if ask.kind == "date":
        return day_value(value, now.astimezone(zone).date()).isoformat()
    if ask.kind == "datetime":
        return parse_when(value, now, zone).isoformat()
    if ask.kind == "choice":
        if value not in ask.choices:
            raise Problem("common.use_buttons")
        return value
    if ask.kind in ("int", "day", "years"):
        least, most = {
            "int": (0, 9999),
            "day": (1, 31),
            "years": (legal.term_min_years, legal.term_max_years),
        }[ask.kind]
        if ask.kind == "day":  # 每月15号
            value = unicodedata.normalize("NFKC", value).strip().removeprefix("每月")
        whole = parse_int(value, least, most)  # 两年, ３, 12 人, 15号
        if whole is None:
            raise Problem(f"documents.bad_{ask.kind}", low=least, high=most)
        return str(whole)
    if ask.kind == "money":
        amount = parse_money(value, Decimal(0), Decimal(10_000_000))
        if amount is None:
            raise Problem("documents.bad_money", low=0, high=10_000_000)
        return f"{amount:f}"
    number = _number(value)
    bounds: dict[str, tuple[float, float, bool]] = {"percent": (0, 100, True)}
    low, high, fraction = bounds[ask.kind]
    pattern = r"\d+(\.\d{1,2})?" if fraction else r"\d+"
    if not re.fullmatch(pattern, number) or not low <= float(number) <= high:
        raise Problem(f"documents.bad_{ask.kind}", low=low, high=high)
    return number


# ----- what the records know -----
@dataclass(frozen=True)
class Facts:
    case: BargainingCase
    union: str
    enterprises: list[Enterprise]
    representatives: list[CaseRepresentative]
    topics: list[CaseTopic]
    rounds: list[NegotiationRound]
    survey: survey_results.Results | None
    advice: research.CaseAdvice | None
    finance: EnterpriseFinance | None
    guideline: WageGuideline | None
    instructor: tuple[str, str]  # name, phone
    versions: list[CaseDocument]
    findings: supervision.Findings | None = None
    effective_on: date | None = None  # when review ended and the contract took effect
    sitting: Congress | None = None  # the last congress held online, with its full count

    @property
    def enterprise(self) -> Enterprise:
        return self.enterprises[0]

    def side(self, side: Side) -> list[CaseRepresentative]:
        return [r for r in self.representatives if r.side is side]


async def gather(
    uow: UnitOfWork, user: User, case_id: int, now: datetime, settings: Settings
) -> Facts:
    """Everything a document may draw on, for the case's owner."""
    case = await cases.editable(uow, user, case_id)
    enterprises = list(await uow.cases.enterprises_of(case_id))
    org = await uow.orgs.get(case.org_id)
    found_survey = await survey_results.latest_for_case(uow, case_id, now, settings)
    expected = survey_results.expected_rise(found_survey)
    advice = await research.advice_for_case(uow, user, case_id, expected)
    profile = await uow.profiles.by_user(user.id or 0)
    finance = await uow.research.finance(enterprises[0].id or 0, case.year - 1)
    region = await research.guideline_for(uow, org, case.year) if org else None
    return Facts(
        case=case,
        union=org.name if org else "",
        enterprises=enterprises,
        representatives=list(await uow.representatives.of_case(case_id)),
        topics=list(await uow.topics.of_case(case_id)),
        rounds=list(await uow.rounds.of_case(case_id)),
        survey=found_survey,
        advice=advice if advice.suggestion else None,
        finance=finance,
        guideline=region[1] if region else None,
        instructor=(profile.name, profile.phone) if profile else (user.display_name, ""),
        versions=list(await uow.documents.of_case(case_id)),
        findings=await supervision.latest_findings(uow, case_id),
        sitting=await congress.latest_closed(uow, case_id),
        effective_on=max(
            (e.on for e in await uow.cases.events(case_id) if e.to_stage is Stage.in_force),
            default=None,
        ),
    )


def vote_online(facts: Facts) -> Congress | None:
    """The online sitting whose count is the one on the case (not a later paper count)."""
    c, case = facts.sitting, facts.case
    if c is None or (c.total, c.present, c.yes) != (
        case.congress_total,
        case.congress_present,
        case.congress_yes,
    ):
        return None
    return c


def _reps_per_side(facts: Facts, settings: Settings) -> int:
    workers = len(facts.side(Side.workers))
    return max(workers, settings.legal.min_reps_per_side)


def prefill(kind: str, facts: Facts, now: datetime, settings: Settings) -> dict[str, str]:
    """Answers the records already give; the interview asks only for the rest."""
    legal, zone = settings.legal, settings.zone
    today = today_in(zone, now)
    case, enterprise = facts.case, facts.enterprise
    known: dict[str, str] = {
        "union_name": f"{enterprise.name}工会" if enterprise.has_union else "",
        "how_chosen": "职工代表大会民主选举",
        "addressee": enterprise.name,
        "offer_from": enterprise.name,
        "reps_per_side": str(_reps_per_side(facts, settings)),
        "reply_due": (today + timedelta(days=legal.reply_days)).isoformat(),
        "contract_name": f"{case.year}年度集体合同",
        "legal_rep": enterprise.legal_rep,
        "economic_type": enterprise.economic_type,
        "checked_on": today.isoformat(),
    }
    if case.offer_on:
        known["offer_date"] = case.offer_on.isoformat()
        known["reply_due"] = (case.offer_on + timedelta(days=legal.reply_days)).isoformat()
    if case.first_round_on:
        known["data_due"] = (
            case.first_round_on - timedelta(days=legal.data_days_before)
        ).isoformat()
    if case.term_years:
        known["term_years"] = str(case.term_years)
    elif kind == "wage":
        known["term_years"] = "1"
    if facts.rounds:
        latest = facts.rounds[-1]
        known["round_no"] = str(latest.round_no)
        known["place"] = latest.place
        if latest.next_meeting_at:
            known["first_meeting"] = known["meeting"] = latest.next_meeting_at.isoformat()
    if facts.finance:
        known["last_year_avg"] = plain(facts.finance.average_wage)
    if facts.findings is not None:
        known.update(_from_findings(facts.findings))
    if vote_online(facts) is not None and facts.sitting and facts.sitting.held_on:
        known["held_on"] = facts.sitting.held_on.isoformat()
    # A new version starts from the last one's answers (the edition is asked each time).
    earlier = [d for d in facts.versions if d.kind == kind]
    if earlier:
        last = max(earlier, key=lambda d: d.version).data
        known.update({k: str(v) for k, v in last.items() if v not in ("", None) and k != "edition"})
    asked = {ask.name for ask in ASKS[kind]}
    return {name: value for name, value in known.items() if name in asked and value}


# Supervision checks the performance of a contract in force, and of nothing else.
IN_FORCE = frozenset({Stage.in_force, Stage.performing, Stage.expiring, Stage.renewed})
# The supervision report is written in Chinese whatever the author's chat language.
RESULT_TEXT = {"pass": "合格", "problem": "发现问题", "na": "不适用"}
FINDING_FIELDS = {
    "pay_findings": ("pay_on_time", "pay_level"),
    "hours_findings": ("hours", "rest"),
    "safety_findings": ("safety",),
    "insurance_findings": ("insurance",),
    "women_findings": ("women",),
}


AREA_TEXT = {
    "pay_on_time": "工资按时足额支付",
    "pay_level": "工资标准执行",
    "hours": "工作时间",
    "rest": "休息休假",
    "safety": "劳动安全卫生",
    "insurance": "社会保险和福利",
    "women": "女职工特殊保护",
}


def _from_findings(found: supervision.Findings) -> dict[str, str]:
    """The report's fields from the latest finished visit; a field that covers several
    areas names each ("工资按时足额支付：合格；工资标准执行：发现问题：……")."""
    known = {"checked_on": found.checked_on.isoformat(), "team": found.team}
    for name, areas in FINDING_FIELDS.items():
        parts = []
        for area in areas:
            if area in found.notes:
                result, _, note = found.notes[area].partition("|")
                text = RESULT_TEXT[result] + (f"（{note}）" if note else "")
                parts.append(f"{AREA_TEXT[area]}：{text}" if len(areas) > 1 else text)
        if parts:
            known[name] = "；".join(parts)
    lines = [
        f"{f.item}；{f.owner}；{f.due_on.isoformat() if f.due_on else ''}"
        for f in found.rectifications
        if f.closed_at is None
    ]
    if lines:
        known["rectifications"] = "\n".join(lines)
    return known


def draft_contract(
    kind: str,
    facts: Facts,
    answers: Mapping[str, Any],
    settings: Settings,
    title_of: Callable[[CaseTopic], str],
) -> contracts.Contract:
    """The contract's chapters and articles from the clause library and the case's topics;
    Problem when the final text is asked for while a topic or a value is still open."""
    library = clauses.library(settings.clauses_dir)
    known = contracts.values(
        kind=kind,
        year=facts.case.year,
        enterprise=facts.enterprise,
        union_party=str(answers.get("union_name") or ""),
        answers=answers,
        legal=settings.legal,
        local_min_wage=facts.guideline.minimum_wage if facts.guideline else None,
        effective_on=facts.effective_on,
    )
    return contracts.assemble(
        library,
        kind,
        facts.case.case_type,
        facts.topics,
        known,
        final=answers.get("edition") == "final",
        title_of=title_of,
    )


def check_ready(kind: str, facts: Facts) -> None:
    if kind == "minutes" and not facts.rounds:
        raise Problem("documents.no_rounds")
    if kind == "supervision" and facts.case.stage not in IN_FORCE:
        raise Problem("documents.supervision_needs_force")
    if kind == "resolution" and facts.case.congress_total is None:
        raise Problem("documents.resolution_needs_vote")


# A monthly wage below this is a slip of the keyboard (7 for 1,700), whatever the local
# minimum: China's lowest local minimum wage is well above it.
PLAUSIBLE_MONTHLY_WAGE = 1000


def check_answers(
    kind: str, facts: Facts, answers: dict[str, Any], legal: LegalSettings, zone: ZoneInfo
) -> None:
    """Rules that need the records and several answers together."""
    check_ready(kind, facts)
    if kind == "offer" and not facts.topics and not answers.get("proposals"):
        raise Problem("documents.offer_needs_topics")
    if kind == "offer":
        _check_offer_dates(facts, answers, legal, zone)
    if kind == "reply" and answers.get("decision") == "refuse" and not answers.get("reasons"):
        raise Problem("documents.refusal_needs_reasons")
    if kind == "minutes":
        round_of(facts, int(answers.get("round_no") or 0))
    if kind == "wage":
        minimum = facts.guideline.minimum_wage if facts.guideline else 0
        if float(answers.get("enterprise_min_wage") or 0) < minimum:
            raise Problem("documents.below_minimum_wage", minimum=plain(minimum))
        for field in ("enterprise_min_wage", "last_year_avg"):
            value = float(answers.get(field) or 0)
            if value and value < PLAUSIBLE_MONTHLY_WAGE:
                raise Problem(
                    "documents.implausible_wage", value=f"{value:g}", least=PLAUSIBLE_MONTHLY_WAGE
                )
        if float(answers.get("frontline_rise_pct") or 0) < float(answers.get("rise_pct") or 0):
            raise Problem("documents.frontline_below_average")


def _check_offer_dates(
    facts: Facts, answers: dict[str, Any], legal: LegalSettings, zone: ZoneInfo
) -> None:
    """The data are due at least `data_days_before` days before the first meeting, and the
    reply deadline runs from the offer (the recorded offer date when there is one)."""
    meeting_text, due_text = answers.get("first_meeting"), answers.get("data_due")
    if meeting_text and due_text:
        meeting = datetime.fromisoformat(str(meeting_text)).astimezone(zone).date()
        latest = meeting - timedelta(days=legal.data_days_before)
        if date.fromisoformat(str(due_text)) > latest:
            raise Problem("documents.data_too_late", latest=latest, days=legal.data_days_before)
    offer = facts.case.offer_on
    if offer and answers.get("reply_due"):
        expected = offer + timedelta(days=legal.reply_days)
        if date.fromisoformat(str(answers["reply_due"])) != expected:
            raise Problem(
                "documents.reply_due_from_offer", offer=offer, due=expected, days=legal.reply_days
            )


def round_of(facts: Facts, number: int) -> NegotiationRound:
    for found in facts.rounds:
        if found.round_no == number:
            return found
    raise Problem(
        "documents.no_such_round", numbers="、".join(str(r.round_no) for r in facts.rounds)
    )


# ----- versions -----
async def save(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    kind: str,
    answers: dict[str, Any],
    content: bytes,
    name: Callable[[int], str],
    now: datetime,
) -> CaseDocument:
    """Record a generated file as the next version of its kind on the case; the
    enterprise's legal representative and economic type, once given, are kept on it."""
    await cases.editable(uow, user, case_id)
    enterprises = await uow.cases.enterprises_of(case_id)
    if enterprises:
        for field in ("legal_rep", "economic_type"):
            if answers.get(field):
                setattr(enterprises[0], field, str(answers[field])[:200])
    version = await uow.documents.next_version(case_id, kind)
    return await uow.documents.add(
        CaseDocument(
            case_id=case_id,
            kind=kind,
            version=version,
            file_name=name(version),
            data=answers,
            content=content,
            created_by_id=user.id or 0,
            created_at=now,
        )
    )


@dataclass(frozen=True)
class Shelf:
    editable: bool
    made: Sequence[CaseDocument]
    offered: tuple[str, ...]  # the kinds that fit the case now
    archivable: bool  # the signed contract's scan may be archived


async def versions(uow: UnitOfWork, user: User, case_id: int) -> Shelf:
    """Whether the user may draft, the versions made, and the kinds that fit the case now
    (the supervision report only once the contract is in force, the congress resolution
    once the vote is recorded)."""
    case, editable = await cases.load(uow, user, case_id)
    offered = tuple(
        k
        for k in KINDS
        if (k != "supervision" or case.stage in IN_FORCE)
        and (k != "resolution" or case.congress_total is not None)
    )
    made = await uow.documents.of_case(case_id)
    return Shelf(editable, made, offered, editable and case.stage in filing.SIGNED_STAGES)


async def stored(uow: UnitOfWork, user: User, document_id: int) -> CaseDocument:
    """A generated file, for anyone who may see its case."""
    found = await uow.documents.with_file(document_id)
    if found is None:
        raise AccessDenied()
    await cases.load(uow, user, found.case_id)
    return found


def safe_file_name(*parts: str) -> str:
    """'要约书-光谷电子-2026-11-24-v2.docx' without characters file systems refuse."""
    name = "-".join(re.sub(r'[\\/:*?"<>|\s]+', "", part) for part in parts if part)
    return name[:120]
