"""Excel workbooks: one table per sheet, with a native Excel chart where it helps, so the
numbers stay live in the spreadsheet program rather than frozen in a picture."""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # openpyxl loads when the first workbook is made, not at start
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet as Worksheet

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
    rows: Iterable[Sequence[Any]] = field(default_factory=list)
    chart: Chart | None = None
    widths: Sequence[int] = ()


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is stored as text (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _chart(sheet: Worksheet, spec: Chart, rows: int) -> None:
    """The chart below the table: beside it, a sheet printed a page wide shrank the table
    to fit the chart in."""
    from openpyxl.chart import BarChart, LineChart, Reference

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
    sheet.add_chart(chart, f"A{rows + 3}")


LINE_HEIGHT = 15.0  # points, the default row's


def _width(text: str) -> int:
    """How many columns of '0' the text takes: a Chinese character two, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(value: str, width: float) -> int:
    """Lines a wrapped cell of `width` columns needs for the text."""
    room = max(int(width) - 1, 1)
    return sum(max(1, math.ceil(_width(part) / room)) for part in value.split("\n"))


PORTRAIT_COLUMNS = 100  # the widths (in '0's) an A4 page holds upright at a legible size


def _print_setup(sheet: Any, spec: Sheet) -> None:
    """Printed, a sheet is as wide as one page (landscape when its columns need it) and
    repeats its header row on every page: the assessment's sixteen columns printed on six
    pages, its columns split from their names."""
    if sum(spec.widths) > PORTRAIT_COLUMNS:
        sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.print_title_rows = "1:1"


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an .xlsx file. Written in openpyxl's write-only mode: each row goes to
    the file as it comes (a sheet's rows may be any iterable, read once), so memory holds a
    row at a time, not the whole table as cells (a province's roster or case list)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_fill, bold = PatternFill("solid", fgColor=HEADER_COLOUR), Font(bold=True)
    wrapped, top = Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    book = Workbook(write_only=True)
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:SHEET_TITLE_MAX])
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        _print_setup(sheet, spec)
        header = []
        for title in spec.header:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font, cell.fill = bold, header_fill
            header.append(cell)
        sheet.append(header)
        count = 0
        for row in spec.rows:
            cells: list[Any] = []
            lines = 1
            for column, value in enumerate(row):
                cell = WriteOnlyCell(sheet, value=safe_cell(value))
                if isinstance(cell.value, str):
                    cell.alignment = wrapped
                    if column < len(spec.widths):
                        lines = max(lines, _lines(cell.value, spec.widths[column]))
                else:
                    cell.alignment = top
                cells.append(cell)
            count += 1
            if lines > 1:  # printed or opened anywhere, a wrapped row shows whole
                sheet.row_dimensions[count + 1].height = LINE_HEIGHT * lines
            sheet.append(cells)
        if spec.chart is not None and count:
            _chart(sheet, spec.chart, count)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
