"""User text that looks like a formula stays text in every workbook and CSV (issue 20, item 4).

A report whose content starts with ``=HYPERLINK(…)`` used to become a live formula in the official
ledger. Here such text goes through ``export`` (xlsx and CSV), ``report`` (xlsx) and the campaign
ledger and summary; every sheet's XML must hold no ``<f>`` element, the text must come back as a
string cell, and the CSV must carry it behind an apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main
from bot.clock import FakeClock
from bot.services import ledger, monthly_report, statistics
from bot.services.cases import Actor, file_case
from bot.services.cell_text import FORMULA_START, csv_cell
from bot.services.statistics import month_period
from nlp import Decision
from tests.jobs.world import seeded_sqlite_office
from tests.ledger.test_ledger_and_report import make_runtime

HYPERLINK = '=HYPERLINK("http://evil.example/","点击查看详细材料")'
# (content, citizen name, result): each begins with one of the characters a spreadsheet reads as a formula.
CASES = [
    (HYPERLINK + "小区物业不作为，电梯坏了一个月", "@张三", "-1+1 已协调解决"),
    ("+1 路灯坏了很久没有人来修理，晚上出行不便", "\t李四", "\r=SUM(A1:A9)"),
    ("-2+3 小区门口乱停车堵住消防通道", "=王五", "+已处理"),
]


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def assert_no_formulas(path: Path) -> list[str]:
    """No ``<f>`` in any sheet; returns the formula-looking text cells (all of data type ``s``)."""
    xml = sheet_xml(path)
    assert not re.search(r"<f[ >]", xml), re.findall(r"<f[ >][^<]*", xml)[:3]
    found = []
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    found.append(cell.value)
    return found


def test_csv_cell_prefixes_only_formula_looking_text() -> None:
    assert [csv_cell(v) for v in ("=1+1", "+86", "-x", "@a", "\tx", "\rx")] == \
        ["'=1+1", "'+86", "'-x", "'@a", "'\tx", "'\rx"]
    assert [csv_cell(v) for v in ("路灯", "", -5, 3.5, None, date(2026, 11, 1))] == \
        ["路灯", "", -5, 3.5, None, date(2026, 11, 1)]


async def test_export_and_report_keep_formula_looking_text_as_text(db_url: str, clock: FakeClock,
                                                                   tmp_path: Path) -> None:
    rt, engine = make_runtime(db_url, clock)
    decision = Decision(category="物业管理", group="城乡建设", department="住建局", score=3.0,
                        keywords=(("物业", 2.0),), urgent=("集体上访",), kind="申诉求决类", deadlines={})
    async with rt.sessions() as session:
        for i, (content, name, result) in enumerate(CASES):
            case = await file_case(session, rt, content=content, decision=decision, actor=Actor.citizen(f"o-{i}"),
                                   openid=f"o-{i}", citizen_name=name)
            case.result = result
        await session.commit()
    period = month_period(2026, 11, rt.tz)
    async with rt.sessions() as session:
        rows = await ledger.ledger_rows(session, rt, period)
        stats = await statistics.collect(session, rt, period)
    await engine.dispose()

    ledger.write_xlsx(rows, tmp_path / "ledger.xlsx")
    texts = assert_no_formulas(tmp_path / "ledger.xlsx")
    assert any(t.startswith("=HYPERLINK(") for t in texts)
    assert {"@张三", "=王五", "-1+1 已协调解决", "+已处理"} <= set(texts)

    monthly_report.write_xlsx(stats, tmp_path / "report.xlsx")
    texts = assert_no_formulas(tmp_path / "report.xlsx")
    assert any(t.startswith("=HYPERLINK(") for t in texts)  # the 群体性苗头 table lists the titles

    lines = list(csv.reader(io.StringIO(ledger.csv_bytes(rows).decode("utf-8-sig"))))
    header = lines[0]
    by_number = {line[header.index("信访编号")]: line for line in lines[1:]}
    assert len(by_number) == 3
    for line in by_number.values():
        for column in ("事项摘要", "信访人", "办理结果"):
            value = line[header.index(column)]
            assert value.startswith("'") and value[1:].startswith(FORMULA_START), (column, value)
    assert any(line[header.index("事项摘要")].startswith("'=HYPERLINK(") for line in by_number.values())


def test_campaign_ledger_and_summary_keep_formula_looking_text_as_text(tmp_path: Path, clock: FakeClock) -> None:
    url = seeded_sqlite_office(tmp_path, clock)
    env = {"XINFANG_DATABASE_URL": url}
    runner = CliRunner()
    added = runner.invoke(main, ["campaign", "add", "--name", "2026年冬季大下访", "--phase", "动员排查=2026-11-01:2026-11-15",
                                 "--phase", "集中下访=2026-11-16:2026-11-30", "--phase", "集中化解=2026-12-01:2026-12-15",
                                 "--phase", "检查总结=2026-12-16:2026-12-31", "--dept", "住建局="], env=env)
    assert added.exit_code == 0, added.output
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["问题内容", "承办单位", "风险等级", "排查类型", "发现日期", "地点", "涉及人数"])
    writer.writerow([HYPERLINK + "老旧小区加装电梯意见分歧", "住建局", "较大", "矛盾纠纷", "2026-11-20", "@东风小区", "40"])
    writer.writerow(["-1+1 棚户区改造安置房质量问题突出", "住建局", "一般", "矛盾纠纷", "2026-11-21", "+安置小区", ""])
    (tmp_path / "problems.csv").write_text(buffer.getvalue(), encoding="utf-8")
    imported = runner.invoke(main, ["campaign", "import", "1", str(tmp_path / "problems.csv")], env=env)
    assert imported.exit_code == 0 and "已导入 2 件" in imported.output, imported.output

    assert runner.invoke(main, ["campaign", "ledger", "1", "--out", str(tmp_path / "l.xlsx")], env=env).exit_code == 0
    texts = assert_no_formulas(tmp_path / "l.xlsx")
    assert any(t.startswith("=HYPERLINK(") for t in texts) and "-1+1 棚户区改造安置房质量问题突出" in texts
    assert {"@东风小区", "+安置小区"} <= set(texts)
    summary = runner.invoke(main, ["campaign", "summary", "1", "--xlsx", str(tmp_path / "s.xlsx")], env=env)
    assert summary.exit_code == 0, summary.output
    assert_no_formulas(tmp_path / "s.xlsx")
