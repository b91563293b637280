"""The 检查总结 as a Word document in official layout, and workbooks that print (issue 23).

One month of cases (``scenario``): the docx opens with python-docx, carries the same figures as the
report workbook and the `统计` reply, has the charts as pictures, and converts to PDF in LibreOffice;
its first page is kept as ``artifacts/report-docx-page1.png``. Every sheet of the ledger and the
report workbook is set up to print, and the charts print whole.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.services import ledger, monthly_report, report_docx, statistics
from bot.services.statistics import month_period
from tests.ledger.print_checks import (
    assert_charts_print_whole,
    assert_prints_well,
    have,
    pdf_pages_text,
    sheet_as_text,
    soffice_pdf,
)
from tests.ledger.test_ledger_and_report import make_runtime, world  # noqa: F401  (fixture)

ARTIFACT = Path(__file__).resolve().parents[2] / "artifacts" / "report-docx-page1.png"
ISSUER = "示范县信访局"


def docx_text(doc) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(p.text for p in doc.paragraphs)


def docx_tables(doc) -> list[list[list[str]]]:  # type: ignore[no-untyped-def]
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


@pytest.mark.timeout(300)  # two LibreOffice conversions; slow on a loaded machine
async def test_report_docx_has_the_workbooks_and_the_chat_figures(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    rt, scenario = world
    rt.settings = rt.settings.model_copy(update={"report_issuer": ISSUER, "report_contact": "联系人：王某"})
    period = month_period(2026, 11, rt.tz)
    async with rt.sessions() as session:
        data = await report_docx.report_docx(session, rt, period)
        stats = await statistics.collect(session, rt, period)
        chat = await statistics.short_summary(session, rt, None, "2026-11")
    (tmp_path / "report.docx").write_bytes(data)
    monthly_report.write_xlsx(stats, tmp_path / "report.xlsx")

    doc = Document(io.BytesIO(data))
    text = docx_text(doc)
    assert doc.paragraphs[0].text == "2026年11月信访工作检查总结"
    assert len(doc.inline_shapes) >= 3  # rates, categories, departments, trend
    for heading in ("一、总体情况", "二、主要指标", "（一）按一级分类", "三、信访事项分布", "八、月度趋势"):
        assert heading in text, heading
    assert re.search(r"^1\. \S+，\d+ 件", text, re.M)  # the 1. level
    # The narrative is the Markdown's.
    for paragraph in monthly_report.narrative(stats):
        assert paragraph in text
    # Issuer and date at the end, from settings and the clock.
    tail = [p.text for p in doc.paragraphs if p.text][-3:]
    assert tail == [ISSUER, "2026年11月24日", "（联系人：王某）"]
    body = doc.paragraphs[2].runs[0]
    assert body.font.size.pt == 16
    assert body._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") \
        == "仿宋_GB2312"

    # Same tables as the workbook, sheet by sheet (an empty table is "本期无。" in the document).
    wb = load_workbook(tmp_path / "report.xlsx")
    sheets = [sheet_as_text(ws) for ws in wb.worksheets if ws.max_row > 2]
    assert docx_tables(doc) == sheets

    # Same figures as the `统计` reply.
    total = re.search(r"信访总量 (\d+) 件", chat).group(1)  # type: ignore[union-attr]
    assert f"本期共登记信访事项 {total} 件" in text
    for name in ("按期受理率", "按期办结率"):
        figure = re.search(name + r" (\S+?)（(\d+)/(\d+)）", chat)
        assert figure is not None, chat
        assert f"{name} {figure.group(1)}（{figure.group(2)}/{figure.group(3)}）" in text
    satisfied = re.search(r"满意率 (\S+?)（评价 (\d+) 件）", chat)
    assert satisfied is not None and f"群众满意率 {satisfied.group(1)}（参评 {satisfied.group(2)} 件）" in text
    assert int(total) == len(scenario.in_range(period.first, period.last))

    if not have("soffice", "pdftoppm", "pdftotext"):
        pytest.skip("LibreOffice / poppler-utils not installed (.ci/system-packages installs them)")
    pdf = soffice_pdf(tmp_path / "report.docx", tmp_path / "pdf", tmp_path / "lo-profile")
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 3
    assert "信访工作检查总结" in pages[0].replace(" ", "")
    assert re.search(r"—\s*1\s*—", pages[0]) and re.search(r"—\s*2\s*—", pages[1])  # page numbers
    assert ISSUER in pages[-1]
    ARTIFACT.parent.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACT.with_suffix(""))], check=True, timeout=60)
    assert ARTIFACT.stat().st_size > 10_000


def test_an_empty_month_gives_a_document_saying_so(db_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    out = tmp_path / "empty.docx"
    result = CliRunner().invoke(main, ["report", "--month", "2026-03", "--format", "docx", "--out", str(out)],
                                env={"XINFANG_DATABASE_URL": db_url})
    assert result.exit_code == 0 and "已生成" in result.output, result.output
    doc = Document(str(out))
    text = docx_text(doc)
    assert "本期未登记信访事项（共 0 件）" in text
    assert "本期无。" in text
    assert doc.paragraphs[0].text == "2026年3月信访工作检查总结"
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", doc.paragraphs[-1].text)  # the date of writing


@pytest.mark.timeout(300)  # a LibreOffice conversion; slow on a loaded machine
async def test_ledger_and_report_workbooks_print(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    rt, _ = world
    period = month_period(2026, 11, rt.tz)
    async with rt.sessions() as session:
        rows = await ledger.ledger_rows(session, rt, period)
        stats = await statistics.collect(session, rt, period)
    ledger.write_xlsx(rows, tmp_path / "ledger.xlsx", title="信访台账 2026年11月")
    monthly_report.write_xlsx(stats, tmp_path / "report.xlsx")
    assert_prints_well(tmp_path / "ledger.xlsx")
    assert_prints_well(tmp_path / "report.xlsx")
    overview = load_workbook(tmp_path / "report.xlsx")["主要指标"]
    rates = {r[0].value: r[1] for r in overview.iter_rows(min_row=3) if r[0].value.endswith("率")}
    assert rates and all(c.number_format == "0.0%" for c in rates.values() if isinstance(c.value, float))
    assert assert_charts_print_whole(tmp_path / "report.xlsx") == 2

    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice / poppler-utils not installed (.ci/system-packages installs them)")
    pdf = soffice_pdf(tmp_path / "report.xlsx", tmp_path / "pdf", tmp_path / "lo-profile")
    pages = pdf_pages_text(pdf)
    for chart_title, sheet in (("各类别信访件数", "按问题类别"), ("月度信访量趋势", "月度趋势")):
        on = [i for i, page in enumerate(pages) if chart_title in page]
        # The chart is on one page: the first page of its sheet (the one with its title row).
        assert len(on) == 1, (chart_title, on)
        first_of_sheet = next(i for i, page in enumerate(pages) if f"检查总结·{sheet}" in page)
        assert on[0] == first_of_sheet
