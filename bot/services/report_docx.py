"""The 检查总结 and the campaign's 工作总结 as Word documents an office can submit upward.

The figures are the ones the xlsx and the `统计` reply show: the report's tables come from
``monthly_report.tables`` over ``statistics.collect``, the campaign's from ``campaign_ledger.summary_tables``
over its ``snapshot``; the narrative paragraphs are the Markdown's. This module adds the layout
(``official_docx``) and four charts (``report_charts``). The service functions ``report_docx`` and
``campaign_docx`` take a session, the runtime (clock, time zone, settings) and what to report on,
and return the .docx bytes (the CLI writes them, the web console offers them for download).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services import campaign_ledger, monthly_report, report_charts
from bot.services.official_docx import Fonts, OfficialDocument
from bot.services.sheet_print import Ratio
from bot.services.statistics import Period, Statistics, collect
from bot.settings import Settings
from storage.models import Campaign

# How the report's tables (``monthly_report.tables``, in that order) are grouped under the document's headings.
REPORT_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("主要指标", ("主要指标",)),
    ("信访事项分布", ("按一级分类", "按问题类别")),
    ("承办单位办理情况", ("按承办单位",)),
    ("办理状态与信访类型", ("按办理状态", "按信访类型")),
    ("群众满意度", ("满意度",)),
    ("包案领导与群体性苗头", ("包案领导", "群体性苗头")),
    ("月度趋势", ("月度趋势",)),
)
SUBHEADINGS = "一二三四五六七八九十"


def from_settings(settings: Settings) -> dict[str, Any]:
    """The document's issuer, 附注 line and fonts as the settings give them."""
    return {"issuer": settings.report_issuer, "contact": settings.report_contact,
            "fonts": Fonts.from_mapping(settings.report_fonts)}


def shown(value: Any) -> str:
    """A table value as the document prints it (the xlsx holds the same value typed)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text_rows(rows: list[list[Any]]) -> list[list[str]]:
    return [[shown(v) for v in row] for row in rows]


def _table_or_none(doc: OfficialDocument, headers: list[str], rows: list[list[Any]]) -> None:
    if rows:
        doc.table(headers, _text_rows(rows))
    else:
        doc.body("本期无。")


# ---- 检查总结 ------------------------------------------------------------------------------------------

def report_charts_for(stats: Statistics) -> dict[str, bytes]:
    """The charts that have something to show, keyed by the table they illustrate."""
    charts: dict[str, bytes] = {}
    ack, res = stats.acknowledgement, stats.resolution
    rates = [ack.rate, res.rate, stats.satisfaction_rate]
    if any(r is not None for r in rates):
        charts["主要指标"] = report_charts.rate_chart("按期受理率、按期办结率、满意率", ["按期受理率", "按期办结率", "满意率"],
                                                rates)
    if stats.by_category:
        ordered = sorted(stats.by_category, key=lambda t: (-t[2], t[0], t[1]))
        charts["按问题类别"] = report_charts.bar_chart("各类别信访件数", [c for _, c, _ in ordered],
                                                  [n for _, _, n in ordered])
    if stats.by_department:
        depts = stats.by_department
        charts["按承办单位"] = report_charts.paired_bar_chart(
            "各承办单位登记与办结件数", [d.department for d in depts], ("登记", [d.registered for d in depts]),
            ("已办结", [d.resolved for d in depts]))
    if stats.trend:
        charts["月度趋势"] = report_charts.line_chart("月度信访量趋势", [m for m, _ in stats.trend],
                                                  [n for _, n in stats.trend])
    return charts


def render_report(stats: Statistics, *, issuer: str, day: date, contact: str = "",
                  fonts: Fonts | None = None) -> bytes:
    title = f"{stats.period.label}信访工作检查总结"
    doc = OfficialDocument(fonts)
    doc.title(title)
    doc.body(monthly_report.period_line(stats))
    doc.heading("一、总体情况")
    for paragraph in monthly_report.narrative(stats):
        doc.body(paragraph)

    tables = {name: (headers, monthly_report.masked_rows(rows)) for name, headers, rows in monthly_report.tables(stats)}
    charts = report_charts_for(stats)
    for number, (section, names) in enumerate(REPORT_SECTIONS, start=2):
        doc.heading(f"{monthly_report.chinese_number(number)}、{section}")
        for i, name in enumerate(names):
            if len(names) > 1:
                doc.subheading(f"（{SUBHEADINGS[i]}）{name}")
            headers, rows = tables[name]
            _table_or_none(doc, headers, rows)
            if name == "按一级分类" and stats.by_group:
                doc.body("反映较集中的问题：")
                for rank, (group, n) in enumerate(monthly_report.top_groups(stats), start=1):
                    doc.item(f"{rank}. {group}，{n} 件，占 {Ratio(n / stats.total)}。")
            if name in charts:
                doc.image(charts[name])
    doc.signature(issuer, day, contact)
    return doc.to_bytes(title)


async def report_docx(session: AsyncSession, rt: Runtime, period: Period) -> bytes:
    """The 检查总结 for ``period`` as .docx bytes (issuer, contact and fonts from ``rt.settings``)."""
    stats = await collect(session, rt, period)
    return render_report(stats, day=rt.local_now().date(), **from_settings(rt.settings))


# ---- 活动工作总结 -------------------------------------------------------------------------------------

def campaign_charts_for(rt: Runtime, snap: campaign_ledger.Snapshot) -> dict[str, bytes]:
    charts: dict[str, bytes] = {}
    depts = [(cd.department.name, f) for cd, f in snap.departments]
    if depts:
        charts["分单位情况"] = report_charts.paired_bar_chart(
            "各单位登记与化解件数", [n for n, _ in depts], ("登记", [f.registered for _, f in depts]),
            ("化解", [f.resolved for _, f in depts]))
        charts["分单位化解率"] = report_charts.rate_chart("各单位化解率", [n for n, _ in depts], [f.rate for _, f in depts])
    categories = campaign_ledger.category_rows(snap)
    if categories:
        charts["分类别情况"] = report_charts.bar_chart("各类别问题件数", [r[1] for r in categories],
                                                  [r[2] for r in categories])
    phases = campaign_ledger.phase_rows(rt, snap)
    if phases:
        charts["分阶段情况"] = report_charts.paired_bar_chart(
            "各阶段排查登记与化解件数", [r[0] for r in phases], ("排查登记", [r[2] for r in phases]),
            ("化解", [r[4] for r in phases]))
    return charts


def render_campaign(rt: Runtime, snap: campaign_ledger.Snapshot, *, issuer: str, day: date,
                    contact: str = "", fonts: Fonts | None = None) -> bytes:
    title = f"{snap.campaign.name}工作总结"
    doc = OfficialDocument(fonts)
    doc.title(title)
    doc.heading("一、总体情况")
    for paragraph in campaign_ledger.narrative(snap):
        doc.body(paragraph)
    charts = campaign_charts_for(rt, snap)
    for number, (caption, headers, rows) in enumerate(campaign_ledger.summary_tables(rt, snap), start=2):
        name = caption.split("、", 1)[-1]
        doc.heading(f"{monthly_report.chinese_number(number)}、{name}")
        _table_or_none(doc, headers, rows)
        for key in (name, name.replace("情况", "化解率")):
            if key in charts:
                doc.image(charts[key])
    doc.signature(issuer, day, contact)
    return doc.to_bytes(title)


async def campaign_docx(session: AsyncSession, rt: Runtime, campaign: Campaign) -> bytes:
    """The campaign's 工作总结 as .docx bytes (issuer, contact and fonts from ``rt.settings``)."""
    snap = await campaign_ledger.snapshot(session, rt, campaign)
    return render_campaign(rt, snap, day=rt.local_now().date(), **from_settings(rt.settings))
