"""``xinfang campaign`` as an operator runs it: add (flags and TOML), template, import with bad rows
(rejected row by row, nothing written unless ``--partial``), phase, ledger and summary."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.cli import main
from bot.clock import FakeClock
from storage.engine import make_engine
from storage.models import CampaignProblem, Case
from tests.jobs.world import seeded_sqlite_office

HOUSING = "住建局"
PHASE_FLAGS = ["--phase", "动员排查=2026-09-01:2026-09-15", "--phase", "集中下访=2026-09-16:2026-09-30",
               "--phase", "集中化解=2026-10-01:2026-10-20", "--phase", "检查总结=2026-10-21:2026-10-31"]
TOML = """
name = "2027年大下访活动"
lead = "督查室"
[phases]
"动员排查" = ["2027-09-01", "2027-09-15"]
"集中下访" = ["2027-09-16", "2027-09-30"]
"集中化解" = ["2027-10-01", "2027-10-20"]
"检查总结" = ["2027-10-21", "2027-10-31"]
[[departments]]
name = "住建局"
leader = "李强"
"""
GOOD = "老旧小区加装电梯意见分歧，低层住户多次阻挠施工"
BAD_CSV = (
    "问题内容,承办单位,风险等级,排查类型,发现日期,地点,涉及人数\n"
    f"{GOOD},住建局,较大,矛盾纠纷,2026-09-05,东风小区,40\n"           # 2: good
    "物业公司擅自提高物业费，业主拒缴,住建局,很严重,矛盾纠纷,2026-09-06,,\n"  # 3: wrong risk word
    "小区消防通道被长期占用存在隐患,住建局,一般,苗头隐患,2026-08-20,,\n"      # 4: before the campaign
    f"{GOOD},住建局,较大,矛盾纠纷,2026-09-05,东风小区,40\n"           # 5: duplicate of row 2
    "开发商逾期交房业主维权,公安局,重大,群体性风险,2026-09-07,,200\n"        # 6: department not taking part
    ",住建局,一般,,2026-09-08,,\n"                                      # 7: no content
    "拆迁补偿款迟迟不到位引发不满,住建局,重大,信访突出问题,2026-9-10,,abc\n"   # 8: people not a number
    "棚户区改造安置房质量问题突出,住建局,重大,信访突出问题,2026/09/11,安置小区,80\n"  # 9: good (slashes)
)


def count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    async def go() -> int:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return int(await conn.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_campaign_cli_import_rejects_bad_rows_row_by_row_and_partial_imports_the_good_ones(
        tmp_path: Path, clock: FakeClock) -> None:
    url = seeded_sqlite_office(tmp_path, clock)
    env = {"XINFANG_DATABASE_URL": url}
    runner = CliRunner()

    added = runner.invoke(main, ["campaign", "add", "--name", "2026年大下访活动", *PHASE_FLAGS,
                                 "--dept", f"{HOUSING}=李强"], env=env)
    assert added.exit_code == 0, added.output
    assert "活动 #1" in added.output
    missing_phase = runner.invoke(main, ["campaign", "add", "--name", "残缺活动", *PHASE_FLAGS[:6],
                                         "--dept", f"{HOUSING}=李强"], env=env)
    assert missing_phase.exit_code != 0 and "检查总结" in missing_phase.output
    toml = tmp_path / "campaign.toml"
    toml.write_text(TOML, encoding="utf-8")
    from_toml = runner.invoke(main, ["campaign", "add", "--toml", str(toml)], env=env)
    assert from_toml.exit_code == 0 and "#2" in from_toml.output, from_toml.output
    listed = runner.invoke(main, ["campaign", "list"], env=env)
    assert "2026年大下访活动" in listed.output and "2027年大下访活动" in listed.output

    template = runner.invoke(main, ["campaign", "template"], env=env)
    assert template.output.splitlines()[0].startswith("问题内容,承办单位,风险等级")
    assert runner.invoke(main, ["campaign", "template", "--xlsx", str(tmp_path / "t.xlsx")], env=env).exit_code == 0
    assert load_workbook(tmp_path / "t.xlsx").sheetnames == ["排查登记", "填写说明"]

    no_columns = tmp_path / "cols.csv"
    no_columns.write_text("问题内容,地点\n某事,某地\n", encoding="utf-8")
    result = runner.invoke(main, ["campaign", "import", "1", str(no_columns)], env=env)
    assert result.exit_code != 0 and "missing columns" in result.output and "风险等级" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    result = runner.invoke(main, ["campaign", "import", "1", str(bad)], env=env)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "共 8 行：合格 2 行，有误 6 行。"
    errors = {int(line.split()[1]): line for line in lines if line.startswith("第 ")}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert "很严重" in errors[3] and "不在活动期间" in errors[4] and "与第 2 行重复" in errors[5]
    assert "未参加" in errors[6] and "问题内容为空" in errors[7] and "不是整数" in errors[8]
    assert "未导入任何数据" in result.output
    assert count(url, Case) == 0 and count(url, CampaignProblem) == 0

    partial = runner.invoke(main, ["campaign", "import", "1", str(bad), "--partial"], env=env)
    assert partial.exit_code == 0, partial.output
    assert "已导入 2 件" in partial.output
    assert count(url, Case) == 2 and count(url, CampaignProblem) == 2

    # The same file again: the good rows are now duplicates of registered problems.
    again = runner.invoke(main, ["campaign", "import", "1", str(bad), "--partial"], env=env)
    assert "与已登记的问题重复" in again.output and count(url, Case) == 2

    wb = Workbook()
    ws = wb.active
    ws.append(["问题内容", "承办单位", "风险等级", "发现日期"])
    ws.append(["燃气管道老化，居民担心安全隐患", HOUSING, "重大", "2026-09-12"])
    wb.save(tmp_path / "good.xlsx")
    from_xlsx = runner.invoke(main, ["campaign", "import", "1", str(tmp_path / "good.xlsx")], env=env)
    assert from_xlsx.exit_code == 0 and "已导入 1 件" in from_xlsx.output, from_xlsx.output

    moved = runner.invoke(main, ["campaign", "phase", "1", "检查总结", "--start", "2026-10-21", "--end", "2026-11-05"],
                          env=env)
    assert moved.exit_code == 0, moved.output
    overlap = runner.invoke(main, ["campaign", "phase", "1", "集中化解", "--start", "2026-09-20", "--end", "2026-10-20"],
                            env=env)
    assert overlap.exit_code != 0
    shown = runner.invoke(main, ["campaign", "show", "1"], env=env)
    assert "检查总结：2026-10-21至2026-11-05" in shown.output and "登记 3" in shown.output, shown.output

    assert runner.invoke(main, ["campaign", "ledger", "1", "--out", str(tmp_path / "l.xlsx")], env=env).exit_code == 0
    rows = list(load_workbook(tmp_path / "l.xlsx")["排查台账"].iter_rows(min_row=3, values_only=True))
    assert len(rows) == 3 and {r[12] for r in rows} == {"较大", "重大"}
    summary = runner.invoke(main, ["campaign", "summary", "1", "--xlsx", str(tmp_path / "s.xlsx")], env=env)
    assert summary.exit_code == 0 and "# 2026年大下访活动工作总结" in summary.output
    assert "共排查登记问题 3 件" in summary.output
    word = runner.invoke(main, ["campaign", "summary", "1", "--format", "docx", "--out", str(tmp_path / "s.docx")],
                         env=env)
    assert word.exit_code == 0 and "总结（Word）已写入" in word.output, word.output
    assert "# 2026年大下访活动工作总结" not in word.output  # only the file, no Markdown on the terminal
    from docx import Document

    assert Document(str(tmp_path / "s.docx")).paragraphs[0].text == "2026年大下访活动工作总结"
