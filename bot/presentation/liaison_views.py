"""How the liaison's console shows the roster, work files and quotas, in the reader's
language: chat contexts and Excel sheets. Pure functions of service results."""

from __future__ import annotations

from typing import Any

from bot.presentation import enum_labels
from bot.presentation.exports import Chart, Sheet
from bot.presentation.ui import Ui
from bot.services.roster import Entry, Quota


def name_of(entry: Entry) -> str:
    return entry.profile.name if entry.profile else entry.user.display_name


def person_context(ui: Ui, entry: Entry) -> dict[str, Any]:
    profile = entry.profile
    return {
        "name": profile.name if profile else entry.user.display_name,
        "union": entry.union,
        "phone": profile.phone if profile else "",
        "birth": profile.birth_date if profile else None,
        "age": entry.age,
        "route": ui.enum(profile.hiring_route) if profile else "",
        "certificate": (profile.certificate_no or "") if profile else "",
        "area": profile.area if profile else "",
        "active": entry.user.active,
        "warnings": [ui.label(f"labels.warning_{w}") for w in entry.warnings],
    }


def event_line(ui: Ui, kind: str, detail: str) -> dict[str, Any]:
    """One line of a work file: what kind of work, and its detail in words."""
    first, _, second = detail.partition("|")
    if kind == "document":
        text = ui.label(
            "labels.event_document", title=ui.label(f"labels.doc_{first}"), version=second
        )
    elif kind == "assignment":
        text = ui.label(
            "labels.event_assignment",
            kind=ui.label(f"labels.assignment_kind_{first}"),
            status=ui.label(f"labels.assignment_status_{second}"),
        )
    elif kind == "session":
        text = ui.label("labels.event_session", number=first, place=second)
    else:
        text = ui.label(f"labels.event_{kind}", detail=first)
    return {"kind": kind, "text": text}


def roster_sheets(ui: Ui, entries: list[Entry], quotas: list[Quota]) -> list[Sheet]:
    label = ui.label
    people = Sheet(
        label("labels.roster_sheet"),
        [
            label(f"labels.roster_col_{c}")
            for c in (
                "no",
                "name",
                "birth",
                "age",
                "union",
                "route",
                "certificate",
                "area",
                "phone",
                "status",
                "warnings",
            )
        ],
        [
            [
                number,
                e.profile.name if e.profile else e.user.display_name,
                e.profile.birth_date.isoformat() if e.profile else "",
                e.age,
                e.union,
                label(enum_labels.key(e.profile.hiring_route)) if e.profile else "",
                (e.profile.certificate_no or "") if e.profile else "",
                e.profile.area if e.profile else "",
                e.profile.phone if e.profile else "",
                label("labels.roster_active" if e.user.active else "labels.roster_inactive"),
                "、".join(label(f"labels.warning_{w}") for w in e.warnings),
            ]
            for number, e in enumerate(entries, start=1)
        ],
        widths=(6, 12, 12, 6, 20, 16, 16, 20, 14, 8, 30),
    )
    quota = Sheet(
        label("labels.roster_quota_sheet"),
        [label(f"labels.roster_col_{c}") for c in ("union", "active_count", "quota", "short")],
        [
            [q.org.name, q.active, f"{q.low}–{q.high}" if q.high else f"≥{q.low}", q.short]
            for q in quotas
        ],
        Chart("bar", label("labels.roster_quota_chart"), value_columns=(2,)),
        widths=(24, 10, 10, 10),
    )
    return [people, quota]


def expense_sheets(ui: Ui, found: list[tuple[Any, Any]]) -> list[Sheet]:
    """The year's expenses for the dedicated-fund audit: every line, and totals per person."""
    label = ui.label
    lines = Sheet(
        label("labels.expense_sheet"),
        [
            label(f"labels.expense_col_{c}")
            for c in ("name", "day", "category", "amount", "status", "note", "reason")
        ],
        [
            [
                owner.display_name,
                e.spent_on.isoformat(),
                label(f"labels.expense_{e.category}"),
                e.amount_fen / 100,
                label(enum_labels.key(e.status)),
                e.note,
                e.reason,
            ]
            for e, owner in found
        ],
        widths=(12, 12, 10, 10, 10, 30, 30),
    )
    totals: dict[str, list[int]] = {}
    for e, owner in found:
        row = totals.setdefault(owner.display_name, [0, 0])
        if e.status != "returned":  # a returned item is not claimed
            row[0] += e.amount_fen
        if e.status == "approved":
            row[1] += e.amount_fen
    summary = Sheet(
        label("labels.expense_summary_sheet"),
        [label(f"labels.expense_col_{c}") for c in ("name", "amount", "approved")],
        [[name, total / 100, approved / 100] for name, (total, approved) in totals.items()],
        Chart("column", label("labels.expense_chart"), value_columns=(2, 3)),
        widths=(14, 12, 12),
    )
    return [lines, summary]


def assessment_rows(ui: Ui, result: Any) -> list[dict[str, Any]]:
    rows = []
    for key in result.scores:
        value = result.response_hours if key == "response" else result.values.get(key, 0)
        rows.append(
            {
                "label": ui.label(f"labels.indicator_{key}"),
                "value": "—"
                if value is None
                else f"{value:g}"
                if key != "response"
                else f"{value:.1f}",
                "score": f"{result.scores[key]:.0f}",
            }
        )
    return rows


def assessment_document(
    ui: Ui, result: Any, cohort: int, union: str, year: int, today: str, settings: Any
) -> dict[str, Any]:
    """The one-page summary's variables (the document is written in Chinese)."""

    def num(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    records_share = round(settings.assessment_records_share * 100)
    self_share = round(settings.assessment_self_share * 100)
    return {
        "year": year,
        "name": result.user.display_name,
        "union": union,
        "rows": assessment_rows(ui, result),
        "records": num(result.records),
        "self_score": num(result.self_score),
        "democratic": num(result.democratic),
        "evaluation": num(result.evaluation),
        "total": num(result.total),
        "rank": result.rank,
        "cohort": cohort,
        "today": today,
        "records_share": records_share,
        "evaluation_share": 100 - records_share,
        "self_share": self_share,
        "democratic_share": 100 - self_share,
    }


def assessment_sheets(ui: Ui, results: list[Any], unions: dict[int, str]) -> list[Sheet]:
    """Results per instructor (indicators, scores, rank) and activity totals per union."""
    label = ui.label
    keys = [k for k in (results[0].scores if results else {})]
    people = Sheet(
        label("labels.assessment_sheet"),
        [
            label("labels.roster_col_no"),
            label("labels.roster_col_name"),
            label("labels.roster_col_union"),
            *[label(f"labels.indicator_{k}") for k in keys],
            label("labels.assessment_records"),
            label("labels.assessment_evaluation"),
            label("labels.assessment_total"),
        ],
        [
            [
                r.rank,
                r.user.display_name,
                unions.get(r.user.org_id, ""),
                *[
                    (round(r.response_hours, 1) if r.response_hours else None)
                    if k == "response"
                    else r.values.get(k, 0)
                    for k in keys
                ],
                round(r.records, 1),
                None if r.evaluation is None else round(r.evaluation, 1),
                round(r.total, 1),
            ]
            for r in results
        ],
        Chart(
            "bar",
            label("labels.assessment_total"),
            value_columns=(len(keys) + 6,),
            category_column=2,
        ),
        widths=(6, 12, 18, *[8] * len(keys), 10, 10, 10),
    )
    per_union: dict[str, list[float]] = {}
    for r in results:
        row = per_union.setdefault(unions.get(r.user.org_id, ""), [0.0] * (len(keys) + 1))
        row[0] += 1
        for index, key in enumerate(keys, start=1):
            if key != "response":
                row[index] += r.values.get(key, 0)
    unions_sheet = Sheet(
        label("labels.assessment_union_sheet"),
        [
            label("labels.roster_col_union"),
            label("labels.assessment_people"),
            *[label(f"labels.indicator_{k}") for k in keys if k != "response"],
        ],
        [
            [name, int(row[0]), *[row[i] for i, k in enumerate(keys, start=1) if k != "response"]]
            for name, row in per_union.items()
        ],
        widths=(20, 8, *[8] * len(keys)),
    )
    return [people, unions_sheet]


def ledger_sheets(ui: Ui, found: Any) -> list[Sheet]:
    """An assignment's ledger: each recipient's delivery and answer."""
    label = ui.label
    return [
        Sheet(
            label("labels.assignment_sheet"),
            [
                label(f"labels.assignment_col_{c}")
                for c in ("name", "delivery", "status", "reason", "answered", "done")
            ],
            [
                [
                    person.display_name,
                    label(f"labels.delivery_{delivery}"),
                    label(enum_labels.key(line.status)),
                    line.reason,
                    ui.renderer.format_datetime(line.responded_at) if line.responded_at else "",
                    ui.renderer.format_datetime(line.done_at) if line.done_at else "",
                ]
                for person, line, delivery in found.rows
            ],
            widths=(12, 12, 10, 30, 18, 18),
        )
    ]
