"""How survey results are shown: the chat summary's values, the chart panels and the Excel
sheets, all in the reader's language. Pure functions of the results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.presentation.charts import Bars
from bot.presentation.exports import Chart, Sheet
from bot.presentation.ui import Ui
from bot.services.survey_results import ExportRow, Results


def topic_rows(ui: Ui, found: Results) -> list[dict[str, Any]]:
    return [
        {
            "title": ui.topic(t.topic["key"], t.topic["title"]),
            "chosen": t.chosen,
            "score": t.score,
            "first": t.first,
        }
        for t in found.topics
    ]


def stratum_name(ui: Ui, stratum: str | None) -> str:
    return ui.label(f"labels.stratum_{stratum or 'none'}")


def results_context(ui: Ui, found: Results) -> dict[str, Any]:
    topics = topic_rows(ui, found)
    rise = found.rise
    return {
        "enterprises": "、".join(found.enterprises),
        "phase": ui.label(f"labels.survey_{found.phase}"),
        "total": found.total,
        "k": found.k,
        "enough": found.enough,
        "per_day": found.per_day,
        "day_top": max((n for _, n in found.per_day), default=0),
        "topics": topics,
        "score_top": max((t["score"] for t in topics), default=0),
        "chosen_top": max((t["chosen"] for t in topics), default=0),
        "ranked": "rank" in found.survey.questions,
        "rise": rise,
        "rise_top": max((n for _, _, n in rise.histogram), default=0) if rise else 0,
        "strata": [
            {"name": stratum_name(ui, c.stratum), "count": c.count, "median": c.median}
            for c in found.strata
        ],
        "comments": found.comments,
        "comment_asked": "comment" in found.survey.questions,
        "comments_from": found.comments_from,
        "released": found.released,
        "held": found.total - found.released,
        "closed": found.phase == "closed",
        "after_close": found.after_close,
    }


def chart_title(ui: Ui, found: Results) -> str:
    return ui.label("labels.chart_title", enterprise="、".join(found.enterprises), n=found.total)


def chart_panels(ui: Ui, found: Results) -> list[Bars]:
    """Nothing to draw until k answers exist."""
    if not found.enough:
        return []
    panels = []
    ranked = "rank" in found.survey.questions
    topics = topic_rows(ui, found)
    if topics:
        panels.append(
            Bars(
                ui.label("labels.chart_topics_score" if ranked else "labels.chart_topics_chosen"),
                [t["title"] for t in topics],
                [t["score"] if ranked else t["chosen"] for t in topics],
                horizontal=True,
            )
        )
    if found.rise:
        panels.append(
            Bars(
                ui.label("labels.chart_rise"),
                [f"{lo:g}–{hi:g}%" for lo, hi, _ in found.rise.histogram],
                [n for _, _, n in found.rise.histogram],
            )
        )
    if len(found.per_day) > 1:
        panels.append(
            Bars(
                ui.label("labels.chart_per_day"),
                [f"{day:%m-%d}" for day, _ in found.per_day],
                [n for _, n in found.per_day],
            )
        )
    return panels


def workbook_sheets(ui: Ui, found: Results, rows: list[ExportRow]) -> list[Sheet]:
    label = ui.label
    titles = [ui.topic(t["key"], t["title"]) for t in found.survey.topics]
    sheets = []
    if found.topics:
        sheets.append(
            Sheet(
                label("labels.xlsx_topics"),
                [
                    label("labels.xlsx_topic"),
                    label("labels.xlsx_chosen"),
                    label("labels.xlsx_score"),
                    label("labels.xlsx_first"),
                ],
                [[t["title"], t["chosen"], t["score"], t["first"]] for t in topic_rows(ui, found)],
                Chart("bar", label("labels.chart_topics_score"), value_columns=(2, 3)),
                widths=(24, 10, 10, 10),
            )
        )
    if found.rise:
        rise = found.rise
        sheets.append(
            Sheet(
                label("labels.xlsx_rise"),
                [label("labels.xlsx_range"), label("labels.xlsx_answers")],
                [[f"{lo:g}–{hi:g}%", n] for lo, hi, n in rise.histogram],
                Chart("column", label("labels.chart_rise")),
                widths=(16, 10),
            )
        )
        sheets.append(
            Sheet(
                label("labels.xlsx_rise_stats"),
                [label("labels.xlsx_measure"), label("labels.xlsx_rise_pct")],
                [
                    [label("labels.xlsx_answers"), rise.count],
                    [label("labels.xlsx_q1"), rise.q1],
                    [label("labels.xlsx_median"), rise.median],
                    [label("labels.xlsx_q3"), rise.q3],
                ],
                widths=(16, 12),
            )
        )
    if found.strata:
        sheets.append(
            Sheet(
                label("labels.xlsx_strata"),
                [
                    label("labels.xlsx_stratum"),
                    label("labels.xlsx_answers"),
                    label("labels.xlsx_median"),
                ],
                [
                    [
                        stratum_name(ui, c.stratum),
                        c.count,
                        c.median,
                    ]
                    for c in found.strata
                ],
                widths=(16, 10, 14),
            )
        )
    sheets.append(
        Sheet(
            label("labels.xlsx_per_day"),
            [label("labels.xlsx_day"), label("labels.xlsx_answers")],
            [[day.isoformat(), n] for day, n in found.per_day],
            Chart("line", label("labels.chart_per_day")),
            widths=(14, 10),
        )
    )
    sheets.append(
        Sheet(
            label("labels.xlsx_raw"),
            [
                label("labels.xlsx_no"),
                label("labels.question_topics"),
                label("labels.xlsx_rank1"),
                label("labels.xlsx_rank2"),
                label("labels.xlsx_rank3"),
                label("labels.xlsx_rise_pct"),
                label("labels.question_stratum"),
                label("labels.question_comment"),
            ],
            [
                [
                    number,
                    "、".join(titles[i] for i in row.topics),
                    *[(titles[row.rank[i]] if i < len(row.rank) else "") for i in range(3)],
                    row.rise,
                    stratum_name(ui, row.stratum) if row.stratum else "",
                    row.comment,
                ]
                for number, row in enumerate(rows, start=1)
            ],
            widths=(6, 30, 14, 14, 14, 10, 12, 40),
        )
    )
    return sheets


def file_name(ui: Ui, kind: str, found: Results, now: datetime, extension: str) -> str:
    """'问卷结果-企业名-2026-11-24.xlsx'; the name is cut, never the extension."""
    enterprise = "、".join(found.enterprises)[:20]
    return f"{ui.label(f'labels.{kind}')}-{enterprise}-{now:%Y-%m-%d}.{extension}"
