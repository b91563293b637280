"""Checks that a workbook prints as an office needs it, read back from the saved file (openpyxl and
the package's drawing XML), shared by the ledger, report and campaign tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.services import sheet_print

ROOT = Path(__file__).resolve().parents[2]
EMU_PER_CM = 360000


def assert_prints_well(path: Path) -> None:
    """Every sheet: title row, header repeated, landscape A4 fit to width, gridlines, frozen header,
    numbers with formats (integers, dates; percentages checked by the callers that know the columns)."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        where = f"{path.name}:{ws.title}"
        assert isinstance(ws["A1"].value, str) and ws["A1"].value, where
        assert ws["A1"].font.bold and ws.merged_cells.ranges, where
        assert ws.print_title_rows in ("1:2", "$1:$2"), (where, ws.print_title_rows)
        assert ws.page_setup.orientation == "landscape", where
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4, where
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0, where
        assert ws.sheet_properties.pageSetUpPr.fitToPage, where
        assert ws.print_options.gridLines, where
        assert ws.freeze_panes == "A3", where
        for row in ws.iter_rows(min_row=3):
            for cell in row:
                value = cell.value
                if isinstance(value, bool) or value is None:
                    continue
                if isinstance(value, datetime):
                    assert cell.number_format in (sheet_print.DATE_FORMAT, sheet_print.DATETIME_FORMAT), where
                elif isinstance(value, int):
                    # A rate of exactly 0 or 1 reads back as an int; it keeps its percentage format.
                    assert cell.number_format in (sheet_print.INTEGER_FORMAT, sheet_print.PERCENT_FORMAT), \
                        (where, cell.coordinate)
                elif isinstance(value, float):
                    assert cell.number_format == sheet_print.PERCENT_FORMAT, (where, cell.coordinate)
                elif isinstance(value, str):
                    assert not re.fullmatch(r"-?\d+(\.\d+)?%", value), (where, cell.coordinate, "percent as text")
                    assert not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), (where, cell.coordinate, "date as text")
                else:
                    assert isinstance(value, date), (where, cell.coordinate, value)


def chart_anchors(path: Path) -> list[tuple[int, int, float]]:
    """(zero-based column, zero-based row, height in cm) of every chart in the package."""
    anchors = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.startswith("xl/drawings/drawing"):
                continue
            xml = z.read(name).decode()
            xml = re.sub(r"<(/?)xdr:", r"<\1", xml)  # with or without the namespace prefix
            for block in re.findall(r"<oneCellAnchor>.*?</oneCellAnchor>", xml, re.S):
                col = int(re.search(r"<col>(\d+)</col>", block).group(1))  # type: ignore[union-attr]
                row = int(re.search(r"<row>(\d+)</row>", block).group(1))  # type: ignore[union-attr]
                cy = int(re.search(r'<ext cx="\d+" cy="(\d+)"', block).group(1))  # type: ignore[union-attr]
                anchors.append((col, row, cy / EMU_PER_CM))
    return anchors


def assert_charts_print_whole(path: Path) -> int:
    """Each chart starts on its sheet's first page below the title and header, and ends above that
    page's bottom margin (fit-to-width only shrinks the page content, never grows it)."""
    anchors = chart_anchors(path)
    wb = load_workbook(path)
    _, page_height = sheet_print.printable_cm()
    # Rows 1 and 2 (title, header) have fixed heights on every sheet; the chart starts below them.
    top = max((ws.row_dimensions[1].height + ws.row_dimensions[2].height) / 72 * 2.54 for ws in wb.worksheets)
    for _, row, height in anchors:
        assert row + 1 == sheet_print.FIRST_DATA_ROW
        assert top + height <= page_height, (top, height, page_height)
    return len(anchors)


def soffice_pdf(source: Path, outdir: Path, profile: Path) -> Path:
    """Convert with LibreOffice headless. Fontconfig maps the official font names to the Noto CJK
    faces (deploy/fonts/official-fonts.conf), as a Linux server converting the reports would."""
    conf = outdir.parent / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
                    f'  <include>{ROOT / "deploy" / "fonts" / "official-fonts.conf"}</include>\n</fontconfig>\n',
                    encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(outdir), str(source)], capture_output=True, text=True, timeout=180, env=env)
    pdf = outdir / (source.stem + ".pdf")
    assert result.returncode == 0 and pdf.exists(), (result.stdout, result.stderr)
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def pdf_pages_text(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, poppler-utils)."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def sheet_as_text(ws) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """A sheet's header and rows as the Word documents print them (rates as 12.3%)."""
    rows = []
    for row in ws.iter_rows(min_row=2):
        values = []
        for cell in row:
            if isinstance(cell.value, int | float) and cell.number_format == sheet_print.PERCENT_FORMAT:
                values.append(f"{cell.value * 100:.1f}%")
            elif cell.value is None:
                values.append("")
            elif isinstance(cell.value, datetime):
                values.append(cell.value.strftime("%Y-%m-%d %H:%M" if cell.number_format == sheet_print.DATETIME_FORMAT
                                                  else "%Y-%m-%d"))
            else:
                values.append(str(cell.value))
        rows.append(values)
    return rows


def have(*tools: str) -> bool:
    return all(shutil.which(t) for t in tools)
