"""`xinfang export` and `xinfang report` as an operator runs them, against a generated month of cases."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from bot.clock import FakeClock
from tests.ledger.scenario import make_plan, run_plan
from tests.ledger.test_ledger_and_report import make_runtime

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    # Only the rules file may come from outside: everything else about the database is this test's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_") or k == "XINFANG_RULES_FILE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["XINFANG_DATABASE_URL"] = db_url
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          timeout=120)


async def test_export_and_report_commands_write_the_files(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    rt, engine = make_runtime(db_url, clock)
    scenario = await run_plan(rt, clock, make_plan())
    await engine.dispose()
    nov = scenario.in_range(date(2026, 11, 1), date(2026, 11, 30))

    result = _run(["export", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv", "--out", "-"],
                  db_url, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    lines = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig"))))
    assert [line[1] for line in lines[1:]] == [p.number for p in nov]

    result = _run(["export", "--from", "2026-10-01", "--to", "2026-11-30"], db_url, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "已导出 40 件" in result.stderr.decode()
    ws = load_workbook(tmp_path / "ledger-2026-10-01_2026-11-30.xlsx").active
    assert ws.max_row == len(scenario.plan) + 2  # title row, header row, one row a case

    result = _run(["report", "--month", "2026-11"], db_url, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode()
    assert f"本期共登记信访事项 **{len(nov)}** 件" in text and "较上期下降" in text

    # The report's xlsx writer is covered in-process (test_ledger_and_report); each run here loads the rules.


def test_report_and_export_reject_bad_arguments() -> None:
    from click.testing import CliRunner

    from bot.cli import main

    runner = CliRunner()
    both = runner.invoke(main, ["report", "--month", "2026-11", "--from", "2026-11-01", "--to", "2026-11-30"])
    assert both.exit_code == 2 and "--month" in both.output
    assert runner.invoke(main, ["report", "--month", "2026-13"]).exit_code == 2
    assert runner.invoke(main, ["report", "--from", "2026-11-01"]).exit_code == 2
    backwards = runner.invoke(main, ["export", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert backwards.exit_code == 2 and "截止日期早于起始日期" in backwards.output
    assert runner.invoke(main, ["export", "--from", "11/01/2026", "--to", "2026-11-30"]).exit_code == 2
    assert runner.invoke(main, ["export", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "pdf"]).exit_code == 2
