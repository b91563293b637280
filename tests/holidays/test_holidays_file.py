"""The operator's holidays file: parsing, coverage, bad lines with their numbers, `xinfang holidays check`."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from bot.cli.holidays import holidays
from bot.holidays import HolidaysError, holiday_table, package_years, parse_holidays

GOOD = """\
# 2030 节假日（运营人员按国务院办公厅通知录入）
2030-01-01 休 元旦
2030-02-02~2030-02-08 休   # 春节
2030-02-10 班 调休上班
"""


def test_a_file_covers_its_years_and_lists_exceptions(tmp_path):
    p = tmp_path / "holidays.txt"
    p.write_text(GOOD, encoding="utf-8")
    table = holiday_table(p)
    assert table.file_years == {2030}
    assert 2030 in table.covered_years and 2031 not in table.covered_years
    assert table.is_workday(date(2030, 2, 4)) is False  # a Monday inside the Spring Festival
    assert table.is_workday(date(2030, 2, 10)) is True  # a Sunday worked instead
    assert table.is_workday(date(2030, 3, 4)) is True  # an ordinary Monday of a covered year
    assert table.is_workday(date(2030, 3, 3)) is False  # an ordinary Sunday
    assert table.is_workday(date(2031, 3, 3)) is None  # nobody covers 2031: no guess
    assert table.uncovered_between(date(2030, 12, 1), date(2031, 2, 1)) == [2031]


def test_the_package_years_are_covered_and_settings_dates_win():
    years = package_years()
    assert 2025 in years
    table = holiday_table(None, extra_holidays=["2025-06-03"], extra_workdays=["2025-10-01"])
    assert table.is_workday(date(2025, 10, 1)) is True  # 国庆 in the package, overridden
    assert table.is_workday(date(2025, 6, 3)) is False  # an ordinary Tuesday, made a holiday


@pytest.mark.parametrize("line, words", [
    ("2030-02-30 休", "日期无效"),
    ("2030/02/03 休", "格式应为"),
    ("2030-02-03", "格式应为"),
    ("2030-02-03 上午", "无法识别"),
    ("2030-02-09~2030-02-01 休", "从早到晚"),
])
def test_a_malformed_line_is_rejected_with_its_number(line, words):
    with pytest.raises(HolidaysError) as err:
        parse_holidays(["# 说明", "2030-01-01 休", line], "h.txt")
    assert "第 3 行" in str(err.value) and words in str(err.value)


def test_the_same_day_with_two_kinds_is_rejected():
    with pytest.raises(HolidaysError, match="第 2 行"):
        parse_holidays(["2030-02-01~2030-02-03 休", "2030-02-02 班"])


def test_cli_check_lists_years_and_rejects_bad_file(tmp_path, monkeypatch):
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(GOOD + "2030-13-01 休\n", encoding="utf-8")
    monkeypatch.delenv("XINFANG_HOLIDAYS_FILE", raising=False)
    runner = CliRunner()
    res = runner.invoke(holidays, ["check", "--file", str(good), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["file_years"] == [2030] and 2026 in out["package_years"]
    assert out["holidays"] == 8 and out["workdays"] == 1
    res = runner.invoke(holidays, ["check", "--file", str(good)])
    assert "覆盖 2030 年" in res.output
    res = runner.invoke(holidays, ["check", "--file", str(bad)])
    assert res.exit_code != 0 and "第 5 行" in res.output
    monkeypatch.setenv("XINFANG_HOLIDAYS_FILE", str(bad))
    res = runner.invoke(holidays, ["check"])
    assert res.exit_code != 0 and "第 5 行" in res.output
