"""What a Word template sees: the case's records and the interview's answers, in Chinese
(union documents are filed in Chinese whatever the author's chat language).

Every template gets the same variables (listed in VARIABLES); `xieshang templates check`
compares a template against them and renders it with the demo data."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

from bot.presentation import enum_labels
from bot.presentation.rendering import Renderer
from bot.services import documents, filing
from bot.services.advice import priced as price_proposals
from bot.services.bargaining import congress_vote, deadlines, milestones
from bot.services.contracts import Contract
from bot.services.documents import Facts
from bot.services.money import plain
from bot.services.when import cn_date
from bot.settings import Settings
from storage.models import CaseType, Side, TopicStatus

LOCALE = "zh"
_TAG = re.compile(r"<[^>]+>")


def _answer(ask: documents.Ask, value: str, settings: Settings) -> str:
    if not value:
        return ""
    if ask.kind == "date":
        return cn_date(date.fromisoformat(value))
    if ask.kind == "datetime":
        moment = datetime.fromisoformat(value).astimezone(settings.zone)
        return f"{cn_date(moment.date())} {moment:%H:%M}"
    return value


def answers_shown(kind: str, answers: dict[str, Any], settings: Settings) -> dict[str, str]:
    """The answers as a document prints them (dates in Chinese, skipped ones empty)."""
    shown = {}
    for ask in documents.ASKS[kind]:
        value = str(answers.get(ask.name, "") or "")
        shown[ask.name] = _answer(ask, value, settings)
    return shown


def _plain(renderer: Renderer, key: str, **params: Any) -> str:
    return _TAG.sub("", renderer.label(LOCALE, key, **params)).strip()


def _rectifications(text: str) -> list[dict[str, str]]:
    """'更换防护手套，加装通风；车间主任；2026-12-31' per line → item, owner, due. Only '；'
    (or ';') parts the columns: an item says things with commas."""
    rows = []
    for line in text.splitlines():
        parts = [p.strip() for p in re.split(r"[；;]", line) if p.strip()]
        if parts:
            rows.append(
                {
                    "item": parts[0],
                    "owner": parts[1] if len(parts) > 1 else "",
                    "due": parts[2] if len(parts) > 2 else "",
                }
            )
    return rows


def context(
    kind: str,
    facts: Facts,
    answers: dict[str, Any],
    renderer: Renderer,
    settings: Settings,
    now: datetime,
) -> dict[str, Any]:
    legal = settings.legal
    case, firm = facts.case, facts.enterprise
    a = answers_shown(kind, answers, settings)

    def topic(key: str, title: str) -> str:
        return title if key == "custom" else renderer.label(LOCALE, f"labels.topic_{key}")

    def person(rep: Any) -> dict[str, str]:
        role = "首席代表" if rep.chief else ("专家" if rep.expert else "代表")
        return {"name": rep.name, "post": rep.post, "role": role}

    workers, employer = facts.side(Side.workers), facts.side(Side.employer)
    chief = {side: next((r.name for r in facts.side(side) if r.chief), "（待定）") for side in Side}
    chief_post = {side: next((r.post for r in facts.side(side) if r.chief), "") for side in Side}
    topics = [
        {
            "title": topic(t.key, t.title),
            "ours": t.our_demand,
            "theirs": t.their_position,
            "status": renderer.label(LOCALE, enum_labels.key(t.status)),
            # For a union's own templates written before the clause library.
            "clause": (t.agreed_text or t.our_demand)
            if t.status is TopicStatus.agreed
            else "（待协商确定）",
        }
        for t in facts.topics
        if t.status is not TopicStatus.dropped
    ]
    survey = None
    if facts.survey is not None:
        found = facts.survey
        top = [topic(t.topic["key"], t.topic["title"]) for t in found.topics[:3]]
        survey = {
            "total": found.total,
            "top": "、".join(top) or "（未问议题）",
            "median": f"{found.rise.median:g}" if found.rise else "",
            "q1": f"{found.rise.q1:g}" if found.rise else "",
            "q3": f"{found.rise.q3:g}" if found.rise else "",
        }
    advice = None
    if facts.advice is not None and facts.advice.suggestion is not None:
        suggestion = facts.advice.suggestion
        advice = {
            "low": plain(suggestion.low),
            "high": plain(suggestion.high),
            "reasons": [_plain(renderer, key, **params) for key, params in suggestion.reasons],
        }
    costing_lines = None
    if (case.costing or {}).get("rise_pct"):
        priced = price_proposals(facts.finance, case.costing)
        costing_lines = {
            "lines": [
                f"{COSTING_ITEM[i.key]}："
                + (f"{plain(i.cost)} 万元" if i.cost is not None else "缺数据")
                for i in priced.items
            ],
            "total": plain(priced.total),
            "share": plain(priced.share) if priced.share is not None else "",
        }
    chosen_round = None
    names = {
        Side.workers: "、".join(r.name for r in workers) or "（未登记）",
        Side.employer: "、".join(r.name for r in employer) or "（未登记）",
    }
    if kind == "minutes" and answers.get("round_no"):
        held = documents.round_of(facts, int(answers["round_no"]))
        at = held.held_at.astimezone(settings.zone)
        chosen_round = {
            "no": held.round_no,
            "held_at": f"{cn_date(at.date())} {at:%H:%M}",
            "place": held.place,
            "recorder": held.recorder,
            "workers_present": held.workers_present,
            "employer_present": held.employer_present,
            "agreements": held.agreements or "无",
            "open_points": held.open_points or "无",
            "next": (
                renderer.format_datetime(held.next_meeting_at)
                if held.next_meeting_at
                else "另行商定"
            ),
        }
        # Who attended, when it was ticked; otherwise the registered representatives.
        for side in (Side.workers, Side.employer):
            if (held.attendees or {}).get(side.value):
                names[side] = "、".join(held.attendees[side.value])
    wage = case.case_type is CaseType.wage
    contract = None
    if kind in documents.CONTRACTS:
        contract = documents.draft_contract(
            kind, facts, answers, settings, lambda t: topic(t.key, t.title)
        )
    due = deadlines(case.case_type, milestones(case), legal)
    congress = "尚未记录职工代表大会表决情况。"
    if case.congress_total is not None:
        congress = (
            f"职工代表大会应到 {case.congress_total} 人，实到 {case.congress_present} 人，"
            f"赞成 {case.congress_yes} 人，{'通过' if case.congress_passed else '未通过'}。"
        )
    vote = _vote(facts, settings)
    package = filing.materials(
        case,
        facts.versions,
        facts.representatives,
        facts.rounds,
        legal,
        bool(answers.get("process_note")),
    )
    checklist = [
        {"item": MATERIAL[m.key], "copies": str(m.copies), "status": _material_status(m)}
        for m in package
    ]
    missing_materials = "、".join(MATERIAL[key] for key in filing.missing(package))
    return {
        "a": a,
        "union": facts.union,
        "enterprise": {
            "name": firm.name,
            "credit_code": firm.credit_code,
            "address": firm.address,
            "industry": firm.industry,
            "headcount": firm.headcount,
            "women": firm.women,
            "contact": firm.contact,
        },
        "enterprises_text": "、".join(e.name for e in facts.enterprises),
        "case_type": renderer.label(LOCALE, enum_labels.key(case.case_type)).removesuffix(
            "集体合同"
        ),
        "year": case.year,
        "today": cn_date(now.astimezone(settings.zone).date()),
        "instructor": {"name": facts.instructor[0], "phone": facts.instructor[1]},
        "reps_w": [person(r) for r in workers],
        "reps_e": [person(r) for r in employer],
        "reps_w_names": names[Side.workers],
        "reps_e_names": names[Side.employer],
        "chief_w": chief[Side.workers],
        "chief_e": chief[Side.employer],
        "chiefs_known": all(any(r.chief for r in facts.side(side)) for side in Side),
        "chief_w_post": chief_post[Side.workers],
        "chief_e_post": chief_post[Side.employer],
        "reps_per_side": answers.get("reps_per_side") or max(len(workers), legal.min_reps_per_side),
        "topics": topics,
        "basis": "和《工资集体协商试行办法》" if wage else "",
        "data_days": legal.data_days_before,
        "reply_days": legal.reply_days,
        "accepted": answers.get("decision") == "accept",
        "survey": survey,
        "advice": advice,
        "round": chosen_round,
        **_contract_parts(contract, renderer),
        **_issuer(firm.name, firm.has_union, facts.union),
        "rectifications": _rectifications(str(answers.get("rectifications") or "")),
        "checklist": checklist,
        "missing_materials": missing_materials,
        "costing": costing_lines,
        "congress": congress,
        "vote": vote,
        "first_round_on": cn_date(case.first_round_on) if case.first_round_on else "",
        "rounds_count": len(facts.rounds),
        "signed_on": cn_date(case.signed_on),
        "filing_due": cn_date(due.filing_due) if due.filing_due else "签订后确定",
    }


VARIABLES = frozenset(
    {
        "a", "union", "enterprise", "enterprises_text", "case_type", "year", "today",
        "instructor", "reps_w", "reps_e", "reps_w_names", "reps_e_names", "chief_w", "chief_e",
        "reps_per_side", "topics", "basis", "data_days", "reply_days", "accepted", "survey",
        "advice", "round", "rectifications", "checklist", "congress", "signed_on", "filing_due",
        "missing_materials", "costing", "vote", "first_round_on", "rounds_count", "chiefs_known",
        "contract_title", "draft", "chapters", "open_topics", "article_count", "chief_w_post",
        "chief_e_post", "issuer", "issuer_note", "seal",
    }
)  # fmt: skip


def _vote(facts: Facts, settings: Settings) -> dict[str, Any] | None:
    """The congress vote as the resolution prints it: the full count when it was held
    online, the votes for and the rest when a paper count was entered."""
    case = facts.case
    if case.congress_total is None or case.congress_present is None or case.congress_yes is None:
        return None
    total, present, yes = case.congress_total, case.congress_present, case.congress_yes
    result = congress_vote(total, present, yes, settings.legal)
    online = documents.vote_online(facts)
    if online is not None:
        others = f"反对 {online.no or 0} 票，弃权 {online.abstain or 0} 票"
    else:
        others = f"反对和弃权共 {present - yes} 票"
    return {
        "total": total,
        "present": present,
        "yes": yes,
        "others": others,
        "quorum": result.quorum,
        "passed": result.passed,
        "needed_present": result.needed_present,
        "needed_yes": result.needed_yes,
        "method": "线上无记名投票" if online is not None else "无记名投票",
    }


COSTING_ITEM = {
    "rise": "工资增长",
    "minimum": "企业最低工资",
    "allowance": "津贴",
    "overtime": "加班工资基数",
}
# The filing package's materials, as the checklist prints them (filed in Chinese).
MATERIAL = {
    "contract": "集体合同文本（正式文本）",
    "process_note": "协商过程说明",
    "congress": "职工代表大会决议（含表决情况）",
    "representatives": "协商代表名单及情况",
    "minutes": "签字的协商会议记录",
    "signed": "双方签字盖章的合同文本（扫描件）",
    "licences": "企业营业执照、工会法人资格证书复印件",
}


def _material_status(m: filing.Material) -> str:
    p = m.params
    if m.key == "contract":
        return f"正式文本 v{p['version']}" if m.ready else ("仅有草案" if p["drafts"] else "缺")
    if m.key == "congress":
        if p["total"] is None:
            return "缺"
        return f"应到 {p['total']} 人，实到 {p['present']} 人，赞成 {p['yes']} 人" + (
            "" if m.ready else "（未通过）"
        )
    if m.key == "representatives":
        counts = f"职工方 {p['workers']} 人、企业方 {p['employer']} 人"
        return counts if m.ready else f"{counts}（不足或缺首席代表）"
    if m.key == "minutes":
        return f"{p['rounds']} 次会议" if m.ready else "缺"
    if m.ready is None:
        return "请企业自备"
    return "齐备" if m.ready else "缺"


def _contract_parts(contract: Contract | None, renderer: Renderer) -> dict[str, Any]:
    """The chapters and numbered articles; the open topics with both texts (a draft's annex)."""
    if contract is None:
        return {
            "contract_title": "",
            "draft": False,
            "chapters": [],
            "open_topics": [],
            "article_count": 0,
        }
    return {
        "contract_title": contract.title,
        "draft": not contract.final,
        "chapters": [
            {
                "label": chapter.label,
                "title": chapter.title,
                "open": chapter.open,
                "articles": [{"label": a.label, "text": a.text} for a in chapter.articles],
            }
            for chapter in contract.chapters
        ],
        "open_topics": [
            {
                "title": o.title,
                "ours": o.ours or "（未提出）",
                "theirs": o.theirs or "（未答复）",
                "status": renderer.label(LOCALE, enum_labels.key(o.status)),
            }
            for o in contract.open_topics
        ],
        "article_count": len(contract.articles),
    }


def _issuer(enterprise: str, has_union: bool, local_union: str) -> dict[str, str]:
    """Who issues the offer, the reply and the filing on the workers' side: the enterprise
    union, the party; the local union only on the workers' behalf where there is none."""
    if has_union:
        issuer = f"{enterprise}工会"
        return {"issuer": issuer, "issuer_note": "", "seal": f"{issuer}（盖章）"}
    return {
        "issuer": f"{enterprise}职工方协商代表",
        "issuer_note": (
            f"{enterprise}尚未建立工会，职工方协商代表在{local_union}指导下"
            f"由职工民主推选产生，本文书由{local_union}代为出具。"
        ),
        "seal": f"{local_union}（代章）",
    }


def _text_of(element: Any) -> str:
    parts = []
    for node in element.iter():
        name = node.tag.rsplit("}", 1)[-1]
        if name == "t":
            parts.append(node.text or "")
        elif name == "br":
            parts.append("\n")
        elif name == "tab":
            parts.append("\t")
    return "".join(parts)


def plain_text(content: bytes) -> str:
    """A generated document's text, paragraphs and table rows, for a quick look in chat."""
    from docx import Document

    document = Document(io.BytesIO(content))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(_text_of(child))
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = [_text_of(cell) for cell in row if cell.tag.endswith("}tc")]
                    lines.append(" | ".join(cells))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


ASSESSMENT_VARIABLES = frozenset(
    {
        "year", "name", "union", "rows", "records", "self_score", "democratic", "evaluation",
        "total", "rank", "cohort", "today", "records_share", "evaluation_share", "self_share",
        "democratic_share",
    }
)  # fmt: skip
