"""Workbook sheets that print: the layout every ledger and report sheet of the project shares.

Each sheet has a title row (row 1), a styled header (row 2, frozen, repeated on every printed page)
and the data below it; it prints on landscape A4 scaled to the page width, with gridlines and page
numbers. Numbers are real numbers with formats (``Ratio`` as a percentage, counts as integers, dates
as dates) so they align and sort; text is always written as text (``cell_text``). Charts are
placed by ``place_chart`` so that they print whole on the first page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.services.cell_text import text_cells

HEADER_FILL = "1F4E78"
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# Landscape A4 and the margins set below (inches), for the chart placement arithmetic.
PAGE_WIDTH_CM, PAGE_HEIGHT_CM = 29.7, 21.0
MARGIN_SIDE_IN, MARGIN_TOP_IN, MARGIN_BOTTOM_IN = 0.5, 0.7, 0.7
TITLE_HEIGHT_PT, HEADER_HEIGHT_PT, ROW_HEIGHT_PT = 28.0, 30.0, 15.0
CHART_MAX_HEIGHT_CM = 13.0


@dataclass(frozen=True)
class Ratio:
    """A rate in a table: a percentage cell in xlsx, ``12.3%`` (or ``—`` when undefined) as text."""

    value: float | None

    def __str__(self) -> str:
        return "—" if self.value is None else f"{self.value * 100:.1f}%"


def cell_value(value: Any) -> Any:
    """What goes into the cell for a table value: a ``Ratio`` becomes its fraction (or ``—``)."""
    if isinstance(value, Ratio):
        return "—" if value.value is None else value.value
    return value


def number_format_of(value: Any) -> str | None:
    if isinstance(value, Ratio):
        return PERCENT_FORMAT if value.value is not None else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return INTEGER_FORMAT
    if isinstance(value, datetime):
        return DATETIME_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    return None


def style_header(ws: Any, widths: Sequence[int], row: int = 1) -> None:
    """Bold white header on dark blue in ``row``, frozen below it, with the given column widths."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="A6A6A6")
    for cell in ws[row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    ws.row_dimensions[row].height = HEADER_HEIGHT_PT
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=row + 1, column=1).coordinate


def table_sheet(ws: Any, title: str, headers: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]],
                *, filters: bool = True) -> None:
    """Fill an empty sheet: title row, header, rows (text as text, numbers formatted), print setup."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ncols = max(1, len(headers))
    ws.append([title])
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    ws.cell(TITLE_ROW, 1).font = Font(bold=True, size=16)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[TITLE_ROW].height = TITLE_HEIGHT_PT
    ws.append([h for h, _ in headers])
    text_cells(ws[HEADER_ROW])
    wrap = Alignment(vertical="top", wrap_text=True)
    wide = {i for i, (_, width) in enumerate(headers) if width >= 20}
    for row in rows:
        ws.append([cell_value(v) for v in row])
        cells = ws[ws.max_row]
        text_cells(cells)
        for i, (cell, value) in enumerate(zip(cells, row, strict=False)):
            fmt = number_format_of(value)
            if fmt is not None:
                cell.number_format = fmt
            elif i in wide:
                cell.alignment = wrap
    style_header(ws, [w for _, w in headers], row=HEADER_ROW)
    if rows and filters:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(ncols)}{ws.max_row}"
    print_setup(ws)


def print_setup(ws: Any) -> None:
    """Landscape A4, fit to one page wide, gridlines, title and header repeated, page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    ws.page_margins.left = ws.page_margins.right = MARGIN_SIDE_IN
    ws.page_margins.top, ws.page_margins.bottom = MARGIN_TOP_IN, MARGIN_BOTTOM_IN
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


# ---- charts ---------------------------------------------------------------------------------------

def column_width_cm(ws: Any, column: int) -> float:
    """A column's printed width: Excel's character width (default 8.43) at about 0.19 cm a character."""
    from openpyxl.utils import get_column_letter

    dim = ws.column_dimensions.get(get_column_letter(column))
    width = dim.width if dim is not None and dim.width else 8.43
    return (width + 0.71) * 0.1905


def printable_cm() -> tuple[float, float]:
    """Width and height of the printable area of a landscape A4 page with this module's margins."""
    return (PAGE_WIDTH_CM - 2 * MARGIN_SIDE_IN * 2.54,
            PAGE_HEIGHT_CM - (MARGIN_TOP_IN + MARGIN_BOTTOM_IN) * 2.54)


def place_chart(ws: Any, chart: Any, column: int) -> None:
    """Anchor ``chart`` right of the table at the first data row, short enough to print whole.

    The chart starts on the first page (below the title and header) and is at most as high as
    the rest of that page at full scale; fit-to-width only ever shrinks the page, so it prints
    whole there whatever the scale.
    """
    from openpyxl.utils import get_column_letter

    _, page_height = printable_cm()
    room = page_height - (TITLE_HEIGHT_PT + HEADER_HEIGHT_PT) / 72 * 2.54 - 0.5
    chart.height = min(chart.height, room, CHART_MAX_HEIGHT_CM)
    ws.add_chart(chart, f"{get_column_letter(column)}{FIRST_DATA_ROW}")

