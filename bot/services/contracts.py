"""Assembling a collective contract from the clause library and the case's topics: chapters in
the kind's order, articles numbered 第一条…第N条 across the whole contract, the agreed text of
each topic, the model clause (values filled in) where the parties did not negotiate one.

A draft marks the topics still open (【待协商】, both positions in an annex); the final text
refuses while any topic of the contract is not agreed or a value is still unknown, naming
them. A special contract holds only its own subject. Pure functions over what the records
give; the Word layout is the template's business."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from bot.services import clauses
from bot.services.clauses import Library
from bot.services.errors import Problem
from bot.services.numbers import chinese_numeral
from bot.services.when import cn_date
from bot.settings import LegalSettings
from storage.models import CaseTopic, CaseType, Enterprise, TopicStatus

OPEN_MARK = "【待协商】"
KIND_OF_CASE = {CaseType.wage: "wage", CaseType.women: "women", CaseType.safety: "safety"}


def kind_of_case(case_type: CaseType) -> str:
    """The contract a case negotiates: its special subject, or the comprehensive contract
    (also for industry-level and regional cases)."""
    return KIND_OF_CASE.get(case_type, "contract")


def _amount(value: Any) -> str:
    """4800 → 4800, 4800.50 → 4800.5, for money and percentages in running text."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


def effective_clause(effective_on: date | None, legal: LegalSettings) -> str:
    """The date the contract took effect once review has ended; before that, the rule."""
    if effective_on is not None:
        return f"本合同自{cn_date(effective_on)}起生效。"
    return (
        "本合同自劳动行政部门审查通过之日起生效；劳动行政部门自收到本合同文本之日起"
        f"{legal.review_days}日内未提出异议的，本合同即行生效。"
    )


def values(
    *,
    kind: str,
    year: int,
    enterprise: Enterprise,
    union_party: str,
    answers: Mapping[str, Any],
    legal: LegalSettings,
    local_min_wage: float | Decimal | None,
    effective_on: date | None,
) -> dict[str, Any]:
    """Every variable and condition a clause may use (the names in _common.toml)."""
    women_share = Fraction(enterprise.women, enterprise.headcount) if enterprise.headcount else 0
    wage = kind == "wage"
    extra = _amount(answers.get("maternity_extra_days"))
    return {
        "year": year,
        "enterprise": enterprise.name,
        "union_party": union_party,
        "headcount": enterprise.headcount,
        "women": enterprise.women,
        "term_years": answers.get("term_years") or ("1" if wage else ""),
        "renewal": f"{legal.wage_renewal_window_days}日"
        if wage
        else f"{chinese_numeral(legal.renewal_window_months)}个月",
        "reply_days": legal.reply_days,
        "filing_days": legal.wage_filing_days if wage else legal.filing_days,
        "review_days": legal.review_days,
        "publication_days": legal.publication_days,
        "effective": effective_clause(effective_on, legal),
        "last_year_avg": _amount(answers.get("last_year_avg")),
        "rise_pct": _amount(answers.get("rise_pct")),
        "frontline_rise_pct": _amount(answers.get("frontline_rise_pct")),
        "enterprise_min_wage": _amount(answers.get("enterprise_min_wage")),
        "local_min_wage": _amount(local_min_wage),
        "pay_day": answers.get("pay_day") or "",
        "overtime_base": answers.get("overtime_base") or "",
        "ot_workday": legal.overtime_workday_pct,
        "ot_restday": legal.overtime_restday_pct,
        "ot_holiday": legal.overtime_holiday_pct,
        "maternity_extra_days": extra,
        "health_check": str(answers.get("health_check") or "").rstrip("。"),
        "protective_equipment": str(answers.get("protective_equipment") or "").rstrip("。"),
        "safety_items": answers.get("safety_items") or "",
        "special_items": answers.get("special_items") or "",
        # conditions
        "shift_work": answers.get("shift_work") == "yes",
        "piece_rate": answers.get("piece_rate") == "yes",
        "women_employed": enterprise.women > 0,
        "many_women": enterprise.women > 0 and women_share >= legal.women_rep_threshold,
        "maternity_extra": bool(extra and extra != "0"),
        "has_union": enterprise.has_union,
        "local_min_known": local_min_wage not in (None, 0, ""),
    }


def numbered(number: int, unit: str) -> str:
    """第十二条, 第三章: how a contract numbers its articles (条) and chapters (章)."""
    return f"第{chinese_numeral(number)}{unit}"


@dataclass(frozen=True)
class Article:
    number: int
    text: str

    @property
    def label(self) -> str:
        return numbered(self.number, "条")


@dataclass(frozen=True)
class Chapter:
    number: int
    key: str
    title: str
    articles: list[Article]
    open: bool = False

    @property
    def label(self) -> str:
        return numbered(self.number, "章")


@dataclass(frozen=True)
class OpenTopic:
    title: str
    ours: str
    theirs: str
    status: TopicStatus


@dataclass
class Contract:
    kind: str
    title: str
    final: bool
    chapters: list[Chapter] = field(default_factory=list)
    open_topics: list[OpenTopic] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # values a draft still waits for

    @property
    def articles(self) -> list[Article]:
        return [a for chapter in self.chapters for a in chapter.articles]


def _topic_text(topic: CaseTopic) -> str:
    """What an agreed topic puts in the contract (older records kept no frozen text)."""
    return topic.agreed_text or topic.our_demand


def _plan(
    library: Library, kind: str, own_kind: bool, topics: Sequence[CaseTopic]
) -> list[tuple[str, CaseTopic | None]]:
    """The chapters in order, each with the case's topic for it (None: the model clause)."""
    spec = library.kinds[kind]
    by_key = {t.key: t for t in topics if t.key != "custom"}
    custom = [t for t in topics if t.key == "custom" and t.status is not TopicStatus.dropped]
    plan: list[tuple[str, CaseTopic | None]] = []
    for key in spec.chapters:
        if key == "term" and own_kind:  # the parties' own topics before the closing chapters
            plan += [("custom", t) for t in custom]
        topic = by_key.get(key)
        if topic is not None and topic.status is TopicStatus.dropped:
            topic = None
            if key not in spec.required:
                continue
        if topic is None and key not in spec.required:
            continue
        plan.append((key, topic))
    return plan


def assemble(
    library: Library,
    kind: str,
    case_type: CaseType,
    topics: Sequence[CaseTopic],
    values: Mapping[str, Any],
    *,
    final: bool,
    title_of: Callable[[CaseTopic], str],
) -> Contract:
    """The contract's chapters and continuously numbered articles. `final` refuses (naming
    them) while a topic of this contract is not agreed or a value is unknown."""
    spec = library.kinds[kind]
    own_kind = kind_of_case(case_type) == kind
    contract = Contract(kind, spec.title, final)
    number = 0
    not_agreed: list[str] = []
    for index, (key, topic) in enumerate(_plan(library, kind, own_kind, topics), start=1):
        section = library.section(kind, key)
        title = (
            title_of(topic) if key == "custom" and topic else (section.title if section else key)
        )
        is_open = topic is not None and topic.status is not TopicStatus.agreed
        if topic is None:
            texts = library.articles(kind, key, values)
        elif not is_open:
            texts = clauses.split_articles(library.fill_pending(_topic_text(topic), values))
        else:
            not_agreed.append(title_of(topic))
            contract.open_topics.append(
                OpenTopic(title, topic.our_demand, topic.their_position, topic.status)
            )
            own = clauses.split_articles(library.fill_pending(topic.our_demand, values))
            texts = own or library.articles(kind, key, values, topic.variant)
        if not texts:
            texts = [f"{OPEN_MARK}（本章条款待双方协商确定）"]
        articles = []
        for text in texts:
            number += 1
            articles.append(Article(number, text))
        contract.chapters.append(Chapter(index, key, title, articles, is_open))
    for article in contract.articles:
        contract.missing += clauses.missing(article.text)
    contract.missing = list(dict.fromkeys(contract.missing))
    if final and not_agreed:
        raise Problem("contracts.not_agreed", topics="、".join(not_agreed))
    if final and contract.missing:
        raise Problem("contracts.missing_values", names="、".join(contract.missing))
    return contract


# ----- comparing with the last contract -----
@dataclass(frozen=True)
class ArticleChange:
    label: str  # 第五条 (this contract's number), or 原第七条 for one taken out
    change: str  # 修改 / 新增 / 删除


def changed_articles(
    before: Sequence[tuple[str, str]], after: Sequence[tuple[str, str]]
) -> list[ArticleChange]:
    """Which articles changed between two contracts, given as (第X条, text) in order:
    aligned by their text (a new article shifts the numbers after it without changing
    them), a changed article by position within a changed run."""
    from difflib import SequenceMatcher

    old = [text for _, text in before]
    new = [text for _, text in after]
    rows: list[ArticleChange] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            was = before[i1 + k][0]
            now = after[j1 + k][0]
            note = "" if was == now else f"（原{was}）"
            rows.append(ArticleChange(now, f"修改{note}"))
        for j in range(j1 + paired, j2):
            rows.append(ArticleChange(after[j][0], "新增"))
        for i in range(i1 + paired, i2):
            rows.append(ArticleChange(f"原{before[i][0]}", "删除"))
    return rows
