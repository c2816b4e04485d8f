"""How the liaison's console shows the roster, work files and quotas, in the reader's
language: chat contexts and Excel sheets. Pure functions of service results."""

from __future__ import annotations

from typing import Any

from bot.exports import Chart, Sheet
from bot.services.roster import Entry, Quota
from bot.ui import Ui


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
        "route": ui.label(f"labels.route_{profile.hiring_route.value}") if profile else "",
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
                label(f"labels.route_{e.profile.hiring_route.value}") if e.profile else "",
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
                label(f"labels.expense_status_{e.status}"),
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
