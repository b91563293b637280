"""The 台账 export and the summary report against a generated month of cases, on both databases.

Expected figures are computed in the test from the plan (see ``scenario``), not read back through
the code under test.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.case_policy import STATUS_LABELS
from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import ledger, monthly_report, statistics
from bot.services.statistics import month_period, range_period
from bot.settings import Settings
from storage.engine import make_engine, make_session_factory
from tests.ledger.scenario import NOW, TZ, Planned, make_plan, run_plan

NOV = (date(2026, 11, 1), date(2026, 11, 30))


def make_runtime(db_url: str, clock: FakeClock) -> tuple[Runtime, AsyncEngine]:
    # Ledger and statistics never categorise: no rules file needed, so no categoriser is loaded.
    engine = make_engine(db_url)
    rt = Runtime(settings=Settings(database_url=db_url), clock=clock, sessions=make_session_factory(engine),
                 categoriser=None)  # type: ignore[arg-type]
    return rt, engine


@pytest.fixture
async def world(db_url: str, clock: FakeClock):  # type: ignore[no-untyped-def]
    rt, engine = make_runtime(db_url, clock)
    scenario = await run_plan(rt, clock, make_plan())
    yield rt, scenario
    await engine.dispose()


def _local(d: datetime | None) -> date | None:
    return d.astimezone(TZ).date() if d is not None else None


def _expected_ack_on_time(p: Planned) -> str:
    if p.ack_at is not None:
        return "按期" if p.ack_at <= p.ack_due else "超期"
    return "超期" if NOW > p.ack_due else "未到期"


def _expected_on_time(p: Planned) -> str:
    if p.status == "declined":
        return "—"
    if p.status == "registered":
        return "超期" if NOW > p.ack_due else "未到期"
    if p.status in ("resolved", "closed"):
        return "按期" if p.resolved_at <= p.resolve_due else "超期"  # type: ignore[operator]
    return "超期" if NOW > p.resolve_due else "未到期"  # type: ignore[operator]


def _resolved(p: Planned) -> datetime | None:
    """Resolved and still so (a 不满意 rating reopened the others)."""
    return p.resolved_at if p.status in ("resolved", "closed") else None


def _expected_days(p: Planned) -> int:
    end = _resolved(p) or (p.ack_at if p.decline else None) or NOW
    return (_local(end) - _local(p.registered)).days  # type: ignore[operator]


async def test_ledger_rows_match_the_plan(world) -> None:  # type: ignore[no-untyped-def]
    rt, scenario = world
    first, last = date(2026, 10, 15), date(2026, 11, 20)
    expected = scenario.in_range(first, last)
    assert len(expected) > 15
    async with rt.sessions() as session:
        rows = await ledger.ledger_rows(session, rt, range_period(first, last, rt.tz))

    assert [r.number for r in rows] == [p.number for p in expected]
    assert [r.index for r in rows] == list(range(1, len(expected) + 1))
    by_key = {p.key: p for p in scenario.plan}
    numbers = {p.key: p.number for p in scenario.plan}
    for row, p in zip(rows, expected, strict=True):
        category, group, dept, kind, _ = p.category
        assert (row.category, row.group, row.department, row.kind) == (category, group, dept, kind)
        assert row.registered_on == _local(p.registered)
        assert row.status == STATUS_LABELS[p.status], p.number
        assert row.ack_due_on == _local(p.ack_due)
        assert row.acknowledged_on == _local(p.ack_at)
        assert row.ack_on_time == _expected_ack_on_time(p), p.number
        assert row.resolve_due_on == _local(p.resolve_due)
        assert row.resolved_on == _local(_resolved(p))
        assert row.on_time == _expected_on_time(p), p.number
        assert row.days_used == _expected_days(p), p.number
        assert row.satisfaction == {None: "", 1: "满意", 2: "基本满意", 3: "不满意"}[p.rating if p.rated_at else None]
        assert row.leader == (p.leader or "")
        assert row.owner == p.owner
        assert row.repeat == ("是" if p.repeat_of else "否")
        assert row.repeat_of == (numbers[p.repeat_of] if p.repeat_of else "")
        assert by_key[p.key].urgent == tuple(filter(None, row.urgent_flags.split("、")))
        assert row.group_risk == ("是" if p.urgent else "否")
        # Phones are masked, in the phone column and inside free text; a whistleblower's (检举控告类)
        # is left out of a ledger made for any office.
        shown = p.phone and kind != "检举控告类"
        assert row.phone == (f"{p.phone[:3]}****{p.phone[-4:]}" if shown else "")
        assert "13900001111" not in row.result
        if p.resolved_at:
            assert "139****1111" in row.result


async def test_csv_export_has_header_and_one_line_per_case(world) -> None:  # type: ignore[no-untyped-def]
    rt, scenario = world
    async with rt.sessions() as session:
        rows = await ledger.ledger_rows(session, rt, month_period(2026, 11, rt.tz))
    data = ledger.csv_bytes(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][:3] == ["序号", "信访编号", "登记日期"]
    nov = scenario.in_range(*NOV)
    assert [line[1] for line in lines[1:]] == [p.number for p in nov]
    assert lines[1][2] == _local(nov[0].registered).isoformat()  # type: ignore[union-attr]
    assert not any(p.phone and p.phone in data.decode("utf-8-sig") for p in nov)


async def test_xlsx_ledger_is_a_proper_workbook(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt, scenario = world
    async with rt.sessions() as session:
        rows = await ledger.ledger_rows(session, rt, month_period(2026, 11, rt.tz))
    path = tmp_path / "ledger.xlsx"
    ledger.write_xlsx(rows, path)
    ws = load_workbook(path).active
    assert ws.freeze_panes == "A3"
    assert ws["A1"].value == "信访台账"
    header = [c.value for c in ws[2]]
    assert header == [h for h, _ in ledger.COLUMNS]
    assert all(c.font.bold for c in ws[2]) and ws["A2"].fill.fgColor.rgb.endswith(monthly_report.HEADER_FILL)
    assert ws.column_dimensions["B"].width >= 15
    assert ws.max_row == len(scenario.in_range(*NOV)) + 2
    registered = ws.cell(row=3, column=header.index("登记日期") + 1)
    assert isinstance(registered.value, datetime) and registered.is_date
    assert registered.value.date() == _local(scenario.in_range(*NOV)[0].registered)


async def test_report_figures_match_the_plan(world) -> None:  # type: ignore[no-untyped-def]
    rt, scenario = world
    plan: list[Planned] = scenario.plan
    nov = scenario.in_range(*NOV)
    oct_ = scenario.in_range(date(2026, 10, 1), date(2026, 10, 31))
    start = datetime(2026, 11, 1, tzinfo=TZ)
    end = datetime(2026, 12, 1, tzinfo=TZ)

    async with rt.sessions() as session:
        stats = await statistics.collect(session, rt, month_period(2026, 11, rt.tz))

    assert stats.total == len(nov)
    assert stats.previous_total == len(oct_)
    assert stats.change < 0  # the plan has fewer cases in November
    assert dict(stats.by_group) == dict(Counter(p.category[1] for p in nov))
    assert {(g, c): n for g, c, n in stats.by_category} == dict(Counter((p.category[1], p.category[0]) for p in nov))
    assert dict(stats.by_status) == dict(Counter(p.status for p in nov))
    assert {d.department: d.registered for d in stats.by_department} == dict(Counter(p.category[2] for p in nov))

    ack_due = [p for p in nov if p.ack_at is not None or NOW > p.ack_due]
    ack_on_time = [p for p in ack_due if p.ack_at is not None and p.ack_at <= p.ack_due]
    assert (stats.acknowledgement.on_time, stats.acknowledgement.due) == (len(ack_on_time), len(ack_due))
    assert stats.acknowledgement.due > stats.acknowledgement.on_time > 0

    resolved_here = [p for p in plan if _resolved(p) is not None and start <= p.resolved_at < end]  # type: ignore[operator]
    late_open = [p for p in plan if p.status in ("accepted", "in_progress")
                 and start <= p.resolve_due < min(end, NOW)]  # type: ignore[operator]
    res_on_time = [p for p in resolved_here if p.resolved_at <= p.resolve_due]  # type: ignore[operator]
    assert stats.resolution.on_time == len(res_on_time)
    assert stats.resolution.due == len(resolved_here) + len(late_open)
    assert stats.resolution.late_open == len(late_open)
    assert any(p.registered < start for p in resolved_here)  # October cases resolved in November count

    rated = [p for p in plan if p.rated_at is not None and start <= p.rated_at < end]
    assert stats.satisfaction == dict(Counter(p.rating for p in rated))
    good = sum(1 for p in rated if p.rating in (1, 2))
    assert stats.satisfaction_rate == pytest.approx(good / len(rated))

    assert stats.repeats == sum(1 for p in nov if p.repeat_of)
    assert [c.number for c in stats.group_risk] == [p.number for p in nov if p.urgent]
    leaders = Counter(p.leader for p in nov if p.leader)
    assert {lf.name: lf.cases for lf in stats.leaders} == dict(leaders)
    assert {lf.name: lf.resolved for lf in stats.leaders} == {
        name: sum(1 for p in nov if p.leader == name and p.status in ("resolved", "closed")) for name in leaders}

    overdue = [p for p in nov if (p.status == "registered" and NOW > p.ack_due)
               or (p.status in ("accepted", "in_progress") and NOW > p.resolve_due)]  # type: ignore[operator]
    assert stats.overdue_open == len(overdue)
    assert stats.trend == [("2026-06", 0), ("2026-07", 0), ("2026-08", 0), ("2026-09", 0),
                           ("2026-10", len(oct_)), ("2026-11", len(nov))]
    assert stats.reception.sessions == 0 and stats.reception.visitors == 0


async def test_markdown_report_states_the_figures(world) -> None:  # type: ignore[no-untyped-def]
    rt, scenario = world
    async with rt.sessions() as session:
        stats = await statistics.collect(session, rt, month_period(2026, 11, rt.tz))
    text = monthly_report.render_markdown(stats)
    nov = scenario.in_range(*NOV)
    assert text.startswith("# 信访工作检查总结（2026年11月）")
    assert f"本期共登记信访事项 **{len(nov)}** 件" in text
    assert "较上期下降" in text
    assert f"按期受理率 {statistics.percent(stats.acknowledgement.rate)}" in text
    for heading in ("按一级分类", "按问题类别", "按承办单位", "包案领导", "月度趋势"):
        assert f"、{heading}" in text
    assert "| 2026-10 |" in text


async def test_report_xlsx_has_a_sheet_per_table_and_charts(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt, scenario = world
    async with rt.sessions() as session:
        stats = await statistics.collect(session, rt, month_period(2026, 11, rt.tz))
    path = tmp_path / "report.xlsx"
    monthly_report.write_xlsx(stats, path)
    wb = load_workbook(path)
    assert wb.sheetnames == [t for t, _, _ in monthly_report.tables(stats)]
    overview = {r[0]: r[1] for r in wb["主要指标"].iter_rows(min_row=3, values_only=True)}
    assert overview["信访总量（件）"] == len(scenario.in_range(*NOV))
    assert overview["按期受理率"] == pytest.approx(stats.acknowledgement.rate)
    cats = wb["按问题类别"]
    assert sum(r[2] for r in cats.iter_rows(min_row=3, values_only=True)) == stats.total
    assert wb["月度趋势"].freeze_panes == "A3"
    # openpyxl does not read charts back; check the parts in the package instead.
    import zipfile

    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        xml = "".join(z.read(n).decode() for n in charts)
    assert "barChart" in xml and "lineChart" in xml


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (.ci/system-packages installs it)")
async def test_ledger_and_report_open_in_libreoffice(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt, _ = world
    async with rt.sessions() as session:
        period = month_period(2026, 11, rt.tz)
        rows = await ledger.ledger_rows(session, rt, period)
        stats = await statistics.collect(session, rt, period)
    ledger.write_xlsx(rows, tmp_path / "ledger.xlsx")
    monthly_report.write_xlsx(stats, tmp_path / "report.xlsx")
    outdir = tmp_path / "pdf"
    for name in ("ledger.xlsx", "report.xlsx"):
        result = subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
             "--convert-to", "pdf", "--outdir", str(outdir), str(tmp_path / name)],
            capture_output=True, text=True, timeout=180,
        )
        assert result.returncode == 0, result.stderr
        assert "Error" not in result.stderr, result.stderr
        pdf = outdir / name.replace(".xlsx", ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 1000, (result.stdout, result.stderr)
        assert pdf.read_bytes().startswith(b"%PDF")


async def test_short_summary_for_a_leader_lists_their_cases(world) -> None:  # type: ignore[no-untyped-def]
    rt, scenario = world
    from storage.models import Person

    nov = scenario.in_range(*NOV)
    async with rt.sessions() as session:
        leader = await session.get(Person, scenario.leaders["张书记"])
        text = await statistics.short_summary(session, rt, leader, "本月")
        last_month = await statistics.short_summary(session, rt, leader, "上月")
    assert text.startswith("【2026年11月 信访统计】")
    assert f"信访总量 {len(nov)} 件" in text
    mine = sum(1 for p in nov if p.leader == "张书记")
    if mine:
        assert f"您包案 {mine} 件" in text
    assert last_month.startswith("【2026年10月 信访统计】")


def test_periods_parse_months_and_ranges() -> None:
    rt, _ = make_runtime("sqlite+aiosqlite:///:memory:", FakeClock())
    this = statistics.parse_period("", rt)
    assert this is not None and (this.first, this.last) == NOV
    prev = statistics.parse_period("上月", rt)
    assert prev is not None and (prev.first, prev.last) == (date(2026, 10, 1), date(2026, 10, 31))
    jan = statistics.parse_period("2026-01", rt)
    assert jan is not None and jan.previous().label == "2025年12月"
    rng = statistics.parse_period("2026-11-01~2026-11-10", rt)
    assert rng is not None and rng.days == 10
    assert (rng.previous().first, rng.previous().last) == (date(2026, 10, 22), date(2026, 10, 31))
    assert statistics.parse_period("2026-11-10~2026-11-01", rt) is None
    assert statistics.parse_period("明年", rt) is None
    assert statistics.parse_period("2026-13", rt) is None

