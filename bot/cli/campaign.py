"""``xinfang campaign add|list|show|phase|visit|import|template|ledger|summary``: 大下访 campaigns.

A campaign is defined by flags or a TOML file (name, lead office, the four phases with dates, the
participating departments with their responsible leader). ``import`` registers 排查 problems from a
CSV/xlsx file in one transaction, rejecting bad rows with a report (``--partial`` files the good
ones anyway); ``template`` prints the file layout. ``ledger`` and ``summary`` write the workbook
and the 工作总结.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import click

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime
from bot.services import campaign as svc
from bot.services import campaign_import, campaign_ledger
from bot.services import campaign_work as work
from bot.services.report_charts import NoCJKFont
from storage.models import Campaign
from storage.models.campaign import PHASES, VISIT_FORMS


@click.group()
def campaign() -> None:
    """大下访活动：活动、阶段、下访场次、排查导入、台账与总结。"""


def _parse_pairs(values: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        if "=" not in value:
            raise click.BadParameter(f"{value!r}: expected NAME=VALUE", param_hint=what)
        name, _, rest = value.partition("=")
        pairs.append((name.strip(), rest.strip()))
    return pairs


def definition_from_toml(path: Path) -> dict[str, Any]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    phases = {name: tuple(dates) for name, dates in (data.get("phases") or {}).items()}
    departments = [(d["name"], d.get("leader")) for d in data.get("departments") or []]
    return {"name": data.get("name", ""), "lead": data.get("lead", "督查室"), "phases": phases,
            "departments": departments}


async def _get(session: Any, ref: str) -> Campaign:
    found = await svc.campaign_by_ref(session, ref)
    if found is None:
        raise svc.CampaignError(f"campaign {ref!r} not found")
    return found


def _run(body: Any) -> Any:
    try:
        return run_with_runtime(body)
    except (svc.CampaignError, campaign_import.ImportFileError) as exc:
        raise click.ClickException(str(exc)) from exc


@campaign.command("add")
@click.option("--toml", "toml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="活动定义文件（name, lead, [phases], [[departments]]）")
@click.option("--name", default=None, help="活动名称")
@click.option("--lead", default=None, help="牵头单位（默认督查室）")
@click.option("--phase", "phases", multiple=True, help="阶段=起:止，如 动员排查=2026-09-01:2026-09-15（四个阶段各一次）")
@click.option("--dept", "departments", multiple=True, help="参加单位=责任领导（姓名或编号），可重复")
def add(toml_file: Path | None, name: str | None, lead: str | None, phases: tuple[str, ...],
        departments: tuple[str, ...]) -> None:
    """新增大下访活动。"""
    definition: dict[str, Any] = definition_from_toml(toml_file) if toml_file else {
        "name": "", "lead": "督查室", "phases": {}, "departments": []}
    if name:
        definition["name"] = name
    if lead:
        definition["lead"] = lead
    for phase, dates in _parse_pairs(phases, "--phase"):
        start, _, end = dates.partition(":")
        definition["phases"][phase] = (start, end)
    definition["departments"] += _parse_pairs(departments, "--dept")

    async def body(rt: Runtime) -> int:
        async with rt.sessions() as session, session.begin():
            c = await svc.create_campaign(session, rt, **definition)
            return c.id

    campaign_id = _run(body)
    click.echo(f"活动 #{campaign_id}「{definition['name']}」已添加")


@campaign.command("list")
def list_() -> None:
    """列出全部活动及当前阶段。"""

    async def body(rt: Runtime) -> list[str]:
        today = rt.local_now().date()
        lines = []
        async with rt.sessions() as session:
            for c in await svc.all_campaigns(session):
                phases = await svc.phases_of(session, c.id)
                first, last = svc.period_of(phases)
                phase = svc.phase_on(phases, today)
                state = phase.name if phase else ("未开始" if today < first else "已结束" if today > last else "阶段间隙")
                lines.append(f"#{c.id} {c.name} {first}至{last} 当前：{state}")
        return lines

    for line in _run(body) or ["（暂无活动）"]:
        click.echo(line)


@campaign.command("show")
@click.argument("ref")
def show(ref: str) -> None:
    """活动详情：阶段、参加单位及进度、下访场次。"""

    async def body(rt: Runtime) -> list[str]:
        async with rt.sessions() as session:
            c = await _get(session, ref)
            lines = [f"#{c.id} {c.name}（牵头：{c.lead_department.name if c.lead_department else '督查室'}）"]
            lines += [f"  {p.name}：{p.starts_on}至{p.ends_on}" for p in await svc.phases_of(session, c.id)]
            for cd, f in await svc.figures_by_department(session, rt, c):
                lines.append(f"  {cd.department.name}（{cd.leader.name if cd.leader else '—'}）：登记 {f.registered}，"
                             f"化解 {f.resolved}，化解率 {svc.percent(f.rate)}，超期 {f.overdue}，回头看 {f.reviewed}")
            for v in await work.visits_of(session, c.id):
                lines.append(f"  场次{v.id} {v.day} {v.form} {'已记录' if v.recorded_at else '未记录'}")
            return lines

    for line in _run(body):
        click.echo(line)


@campaign.command("phase")
@click.argument("ref")
@click.argument("phase", type=click.Choice(PHASES))
@click.option("--start", required=True, help="开始日期 YYYY-MM-DD")
@click.option("--end", required=True, help="结束日期 YYYY-MM-DD")
def phase(ref: str, phase: str, start: str, end: str) -> None:
    """调整某一阶段的起止日期（四个阶段须前后衔接、不重叠）。"""

    async def body(rt: Runtime) -> None:
        async with rt.sessions() as session, session.begin():
            await svc.set_phase(session, await _get(session, ref), phase, start, end)

    _run(body)
    click.echo(f"{phase}：{start}至{end}")


@campaign.command("visit")
@click.argument("ref")
@click.option("--leader", required=True, help="带队领导（姓名或编号）")
@click.option("--date", "day", required=True, help="日期 YYYY-MM-DD")
@click.option("--start", required=True, help="开始时间 HH:MM")
@click.option("--end", required=True, help="结束时间 HH:MM")
@click.option("--place", required=True, help="地点")
@click.option("--form", required=True, type=click.Choice(VISIT_FORMS), help="下访形式")
@click.option("--dept", default=None, help="承办单位（新发现问题登记到该单位）")
@click.option("--case", "cases", multiple=True, help="带案下访携带的案件编号，可重复")
@click.option("--slots", default=10, show_default=True, type=int)
def visit(ref: str, leader: str, day: str, start: str, end: str, place: str, form: str, dept: str | None,
          cases: tuple[str, ...], slots: int) -> None:
    """新增下访场次（接访场次的一种，群众可在“接访安排”中看到）。"""

    async def body(rt: Runtime) -> int:
        async with rt.sessions() as session, session.begin():
            v = await work.add_visit(session, rt, await _get(session, ref), leader=leader, day=day, start=start,
                                     end=end, place=place, form=form, department=dept, cases=list(cases),
                                     slots=slots)
            return v.id

    click.echo(f"下访场次{_run(body)}已添加")


@campaign.command("template")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), help="写出 xlsx 模板到此文件")
def template(xlsx: Path | None) -> None:
    """打印排查登记导入模板（CSV），或写出 xlsx 模板。"""
    if xlsx is not None:
        campaign_import.write_template_xlsx(xlsx)
        click.echo(f"模板已写入 {xlsx}")
        return
    click.echo(campaign_import.template_csv(), nl=False)


@campaign.command("import")
@click.argument("ref")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="有误的行跳过，只导入合格行")
def import_(ref: str, file: Path, partial: bool) -> None:
    """从 CSV/xlsx 批量登记排查问题；有误的行逐行报告，默认全部不导入。"""

    async def body(rt: Runtime) -> campaign_import.ImportReport:
        async with rt.sessions() as session, session.begin():
            return await campaign_import.import_file(session, rt, await _get(session, ref), file, partial=partial)

    report = _run(body)
    click.echo(campaign_import.describe(report, partial=partial))
    if report.errors and not partial:
        sys.exit(1)


@campaign.command("ledger")
@click.argument("ref")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出 xlsx 文件")
def ledger(ref: str, out: Path) -> None:
    """导出活动台账（排查台账、下访场次、三问建议、部门进度）。"""

    async def body(rt: Runtime) -> None:
        async with rt.sessions() as session:
            snap = await campaign_ledger.snapshot(session, rt, await _get(session, ref))
            campaign_ledger.write_ledger(rt, snap, out)

    _run(body)
    click.echo(f"台账已写入 {out}")


@campaign.command("summary")
@click.argument("ref")
@click.option("--md", "md", type=click.Path(dir_okay=False, path_type=Path), help="Markdown 输出文件（默认打印）")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), help="xlsx 输出文件")
@click.option("--format", "fmt", type=click.Choice(["md", "xlsx", "docx"]), default=None,
              help="输出格式；docx 为公文格式的 Word 文档（配合 --out）")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="--format 的输出文件")
def summary(ref: str, md: Path | None, xlsx: Path | None, fmt: str | None, out: Path | None) -> None:
    """活动工作总结：分单位、分类别、分阶段的数据（Markdown、xlsx 与公文格式 docx）。"""
    if fmt == "md" and out is not None:
        md = md or out
    if fmt == "xlsx":
        xlsx = xlsx or out or Path(f"campaign-{ref}-summary.xlsx")
    docx_out = (out or Path(f"campaign-{ref}-summary.docx")) if fmt == "docx" else None

    async def body(rt: Runtime) -> str:
        async with rt.sessions() as session:
            found = await _get(session, ref)
            if docx_out is not None:
                from bot.services import report_docx

                docx_out.write_bytes(await report_docx.campaign_docx(session, rt, found))
            snap = await campaign_ledger.snapshot(session, rt, found)
            if xlsx is not None:
                campaign_ledger.write_summary_xlsx(rt, snap, xlsx)
            return campaign_ledger.render_markdown(rt, snap)

    try:
        text = _run(body)
    except NoCJKFont as exc:  # no font for the charts' Chinese labels: say which package to install
        raise click.ClickException(str(exc)) from exc
    if md is not None:
        md.write_text(text, encoding="utf-8")
        click.echo(f"总结已写入 {md}")
    elif fmt in (None, "md"):
        click.echo(text)
    if xlsx is not None:
        click.echo(f"总结表已写入 {xlsx}")
    if docx_out is not None:
        click.echo(f"总结（Word）已写入 {docx_out}")
