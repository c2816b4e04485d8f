"""Excel workbooks: one table per sheet, with a native Excel chart where it helps, so the
numbers stay live in the spreadsheet program rather than frozen in a picture."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # openpyxl loads when the first workbook is made, not at start
    from openpyxl.worksheet.worksheet import Worksheet

HEADER_COLOUR = "DDE7F0"
SHEET_TITLE_MAX = 31
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Chart:
    kind: Literal["bar", "column", "line"]
    title: str
    value_columns: Sequence[int] = (2,)  # 1-based columns holding the series
    category_column: int = 1


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    chart: Chart | None = None
    widths: Sequence[int] = ()


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is stored as text (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _chart(sheet: Worksheet, spec: Chart, rows: int) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.utils import get_column_letter

    chart: BarChart | LineChart
    if spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "bar" else "col"
    chart.title = spec.title
    chart.height, chart.width = max(7.5, 0.6 * rows + 3), 16
    for column in spec.value_columns:
        data = Reference(sheet, min_col=column, min_row=1, max_row=rows + 1)
        chart.add_data(data, titles_from_data=True)
    categories = Reference(sheet, min_col=spec.category_column, min_row=2, max_row=rows + 1)
    chart.set_categories(categories)
    last = max(len(r) for r in sheet.iter_rows(max_row=1))
    sheet.add_chart(chart, f"{get_column_letter(last + 2)}2")


def workbook(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_fill = PatternFill("solid", fgColor=HEADER_COLOUR)
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:SHEET_TITLE_MAX])
        sheet.append(list(spec.header))
        for cell in sheet[1]:
            cell.font, cell.fill = Font(bold=True), header_fill
        for row in spec.rows:
            sheet.append([safe_cell(v) for v in row])
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        if spec.chart is not None and spec.rows:
            _chart(sheet, spec.chart, len(spec.rows))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
