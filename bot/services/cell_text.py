"""User text in spreadsheets stays text: no cell of a ledger or report can become a formula.

A report whose title starts with ``=HYPERLINK(…)`` must not turn into a live formula in the
office's workbook (CSV/formula injection). Every xlsx and CSV writer of the project goes through
the two functions here: ``text_cells`` after appending rows to an openpyxl sheet, ``csv_cell`` for
each CSV value. Only ``str`` values are touched; numbers and dates keep their types.
"""

from __future__ import annotations

from typing import Any

# What spreadsheet programs read as the start of a formula (OWASP's CSV-injection list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A CSV value: text starting like a formula gets a leading apostrophe; anything else unchanged."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def text_cells(cells: Any) -> None:
    """Mark every ``str`` cell among ``cells`` (openpyxl cells) as a string cell.

    openpyxl turns a value starting with ``=`` into a formula (data type ``f``) and ``#N/A``-like
    text into an error cell; forcing data type ``s`` writes the characters as typed.
    """
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def append_text_row(ws: Any, values: list[Any]) -> None:
    """``ws.append(values)``, with every text value kept as text (see ``text_cells``)."""
    ws.append(values)
    text_cells(ws[ws.max_row])
