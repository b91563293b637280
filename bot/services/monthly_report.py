"""The summary report (检查总结) an office sends upward: Markdown, and an xlsx with one sheet per table.

Figures come from ``bot.services.statistics.collect``; this module only lays them out. The workbook
has a bar chart of cases per category and a line chart of the monthly trend (信访总量 should fall).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.case_policy import STATUS_LABELS
from bot.services.sheet_print import HEADER_FILL, Ratio, place_chart, style_header, table_sheet
from bot.services.statistics import SATISFACTION_LABELS, Statistics, change_text, percent

__all__ = ["HEADER_FILL", "style_header", "tables", "render_markdown", "write_xlsx", "xlsx_bytes"]

# ---- tables (shared by Markdown and xlsx) -------------------------------------------------------------

Table = tuple[str, list[str], list[list[Any]]]  # (title, headers, rows)


def overview_rows(stats: Statistics) -> list[list[Any]]:
    ack, res = stats.acknowledgement, stats.resolution
    rows: list[list[Any]] = [
        ["统计期间", f"{stats.period.first.isoformat()} 至 {stats.period.last.isoformat()}"],
        ["信访总量（件）", stats.total],
        ["上期总量（件）", stats.previous_total],
        ["较上期增减（件）", stats.change],
        ["较上期增减率", Ratio(stats.change_rate)],
        ["按期受理（件）", ack.on_time],
        ["应受理（件）", ack.due],
        ["按期受理率", Ratio(ack.rate)],
        ["超期未受理（件）", ack.late_open],
        ["按期办结（件）", res.on_time],
        ["应办结（件）", res.due],
        ["按期办结率", Ratio(res.rate)],
        ["到期未办结（件）", res.late_open],
        ["当前超期在办（件）", stats.overdue_open],
        ["参评（件）", stats.rated],
        ["满意率（满意+基本满意）", Ratio(stats.satisfaction_rate)],
        ["重信重访（件）", stats.repeats],
        ["群体性苗头（件）", len(stats.group_risk)],
        ["包案领导（人）", len(stats.leaders)],
        ["包案件数（件）", sum(lf.cases for lf in stats.leaders)],
    ]
    if stats.reception.available:
        rows += [["领导接访（场）", stats.reception.sessions], ["接待群众（人次）", stats.reception.visitors]]
    else:
        rows += [["领导接访（场）", "未记录"], ["接待群众（人次）", "未记录"]]
    return rows


def tables(stats: Statistics) -> list[Table]:
    sat_rows = [[SATISFACTION_LABELS[k], stats.satisfaction.get(k, 0)] for k in (1, 2, 3)]
    return [
        ("主要指标", ["指标", "数值"], overview_rows(stats)),
        ("按一级分类", ["一级分类", "件数"], [[g, n] for g, n in stats.by_group]),
        ("按问题类别", ["一级分类", "问题类别", "件数"], [[g, c, n] for g, c, n in stats.by_category]),
        ("按承办单位", ["承办单位", "登记", "已办结", "在办", "当前超期", "满意/基本满意", "参评"],
         [[d.department, d.registered, d.resolved, d.open, d.overdue, d.satisfied, d.rated]
          for d in stats.by_department]),
        ("按办理状态", ["状态", "件数"], [[STATUS_LABELS.get(s, s), n] for s, n in stats.by_status]),
        ("按信访类型", ["类型", "件数"], [[k, n] for k, n in stats.by_kind]),
        ("满意度", ["评价", "件数"], sat_rows),
        ("包案领导", ["领导", "职务", "包案件数", "已办结", "在办"],
         [[lf.name, lf.title or "", lf.cases, lf.resolved, lf.open] for lf in stats.leaders]),
        ("群体性苗头", ["信访编号", "登记时间", "事项摘要", "紧急关键词", "办理状态"],
         [[c.number, _local_minute(c.registered_at, stats), c.title,
           "、".join(str(f) for f in c.urgent_flags or []), STATUS_LABELS.get(c.status, c.status)]
          for c in stats.group_risk]),
        ("月度趋势", ["月份", "信访量"], [[m, n] for m, n in stats.trend]),
    ]


def _local_minute(moment: datetime, stats: Statistics) -> datetime:
    """A local time to the minute, naive (spreadsheets have no time zones)."""
    return moment.astimezone(stats.period.tz).replace(second=0, microsecond=0, tzinfo=None)


# ---- narrative (shared by Markdown and docx) -----------------------------------------------------------

def top_groups(stats: Statistics, count: int = 3) -> list[tuple[str, int]]:
    return stats.by_group[:count]


def narrative(stats: Statistics, strong: Callable[[str], str] = str) -> list[str]:
    """The paragraphs of 一、总体情况; ``strong`` marks the total (Markdown bold)."""
    ack, res = stats.acknowledgement, stats.resolution
    if stats.total == 0:
        paragraphs = [f"本期未登记信访事项（共 {strong('0')} 件），{change_text(stats)}。"]
    else:
        top = "、".join(f"{g}（{n}件）" for g, n in top_groups(stats)) or "无"
        paragraphs = [f"本期共登记信访事项 {strong(str(stats.total))} 件，{change_text(stats)}。"
                      f"反映较集中的问题：{top}。"]
    paragraphs += [
        f"按期受理率 {percent(ack.rate)}（{ack.on_time}/{ack.due}），"
        f"按期办结率 {percent(res.rate)}（{res.on_time}/{res.due}），"
        f"群众满意率 {percent(stats.satisfaction_rate)}（参评 {stats.rated} 件）。",
        f"重信重访 {stats.repeats} 件，群体性苗头 {len(stats.group_risk)} 件，当前超期在办 {stats.overdue_open} 件。",
    ]
    if stats.reception.available:
        paragraphs.append(f"领导接访 {stats.reception.sessions} 场，接待群众 {stats.reception.visitors} 人次。")
    else:
        paragraphs.append("领导接访场次与接待人次：系统尚未记录。")
    return paragraphs


def period_line(stats: Statistics) -> str:
    return (f"统计期间：{stats.period.first.isoformat()} 至 {stats.period.last.isoformat()}；"
            f"数据截至 {stats.as_of.astimezone(stats.period.tz).strftime('%Y-%m-%d %H:%M')}。")


def masked_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows as published: free text (the group-risk summaries) with phone and ID numbers masked."""
    from nlp import mask_pii

    return [[mask_pii(v) if isinstance(v, str) else v for v in row] for row in rows]


# ---- Markdown ---------------------------------------------------------------------------------------

def _md_cell(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return lines


def render_markdown(stats: Statistics, *, office: str = "信访工作") -> str:
    lines = [f"# {office}检查总结（{stats.period.label}）", "", period_line(stats), "", "## 一、总体情况", ""]
    paragraphs = narrative(stats, strong=lambda text: f"**{text}**")
    lines += paragraphs
    for number, (title, headers, rows) in enumerate(tables(stats), start=2):
        lines += ["", f"## {chinese_number(number)}、{title}", ""]
        if not rows:
            lines.append("本期无。")
            continue
        lines += _md_table(headers, masked_rows(rows))
    return "\n".join(lines) + "\n"


def chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九十"
    if n <= 10:
        return digits[n]
    return "十" + digits[n - 10] if n < 20 else str(n)


# ---- xlsx -------------------------------------------------------------------------------------------

def _widths(headers: list[str], rows: list[list[Any]]) -> list[tuple[str, int]]:
    def shown(value: Any) -> int:
        return 16 if isinstance(value, datetime) else len(str(value))

    return [(h, max(10, min(40, 2 * max((shown(r[i]) for r in [headers, *rows]), default=4) + 2)))
            for i, h in enumerate(headers)]


def build_workbook(stats: Statistics) -> Any:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference

    from bot.services.sheet_print import FIRST_DATA_ROW, HEADER_ROW

    wb = Workbook()
    wb.remove(wb.active)
    sheets: dict[str, Any] = {}
    for title, headers, rows in tables(stats):
        ws = wb.create_sheet(title)
        rows = masked_rows(rows)
        table_sheet(ws, f"{stats.period.label}信访工作检查总结·{title}", _widths(headers, rows), rows)
        sheets[title] = ws

    cats = sheets["按问题类别"]
    last = cats.max_row
    if last >= FIRST_DATA_ROW:
        n = last - HEADER_ROW
        chart = BarChart()
        chart.type = "bar"
        chart.title = "各类别信访件数"
        chart.y_axis.title = "件数"
        chart.add_data(Reference(cats, min_col=3, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(cats, min_col=2, min_row=FIRST_DATA_ROW, max_row=last))
        chart.height = max(7.5, 0.6 * n + 3)
        chart.width = 18
        chart.legend = None
        place_chart(cats, chart, column=5)

    trend = sheets["月度趋势"]
    last = trend.max_row
    if last >= FIRST_DATA_ROW:
        line = LineChart()
        line.title = "月度信访量趋势"
        line.y_axis.title = "件数"
        line.x_axis.title = "月份"
        line.add_data(Reference(trend, min_col=2, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        line.set_categories(Reference(trend, min_col=1, min_row=FIRST_DATA_ROW, max_row=last))
        line.width = 18
        place_chart(trend, line, column=4)

    wb.properties.title = f"检查总结 {stats.period.label}"
    return wb


def write_xlsx(stats: Statistics, path: Path) -> None:
    build_workbook(stats).save(path)


def xlsx_bytes(stats: Statistics) -> bytes:
    """The report workbook as bytes (for a download)."""
    buffer = io.BytesIO()
    build_workbook(stats).save(buffer)
    return buffer.getvalue()
