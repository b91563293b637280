"""Dashboard (统计): the figures of chat's ``统计`` and ``xinfang report`` for a period, and downloads.

One computation: the page renders ``statistics.collect`` — the object the chat summary and the
report are built from — so the three can only agree. The same people as chat's ``统计`` may look
(leaders, supervisors) plus admins; the ledger and report downloads cover the period shown.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot import case_policy as policy
from bot.console import labels
from bot.console.security import RUNTIME, db, message_page, page, signed_in
from bot.services import ledger, monthly_report, report_docx, statistics
from bot.services.report_charts import NoCJKFont

# Who sees chat's 统计, plus admins (who run `xinfang report` at the terminal).
DASHBOARD_ROLES = (*sorted(policy.STATISTICS_ROLES), policy.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_PERIOD_TEXT = 40


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard/ledger.xlsx", ledger_xlsx)
    app.router.add_get("/dashboard/report.xlsx", report_xlsx)
    app.router.add_get("/dashboard/report.docx", report_docx_download)


def _period(request: web.Request) -> tuple[str, statistics.Period | None]:
    text = request.query.get("period", "")[:MAX_PERIOD_TEXT].strip()
    return text, statistics.parse_period(text, request.app[RUNTIME])


async def dashboard(request: web.Request) -> web.StreamResponse:
    signed_in(request, *DASHBOARD_ROLES)
    text, period = _period(request)
    if period is None:
        return page(request, "dashboard.html", status=400, stats=None, period_text=text, charts="{}",
                    error="统计期间无法识别。可填：本月、上月、2026-11、2026-11-01~2026-11-30。")
    stats = await statistics.collect(db(request), request.app[RUNTIME], period)
    return page(request, "dashboard.html", stats=stats, period_text=text or "本月", error="",
                charts=json.dumps(_charts(stats), ensure_ascii=False).replace("<", "\\u003c"),
                extra=_extra_figures(stats))


def _charts(stats: statistics.Statistics) -> dict[str, Any]:
    return {
        "trend": {"labels": [m for m, _ in stats.trend], "values": [n for _, n in stats.trend]},
        "group": [{"name": g, "value": n} for g, n in stats.by_group],
        "source": [{"name": labels.source_label(s), "value": n} for s, n in stats.by_source],
        "department": {"labels": [d.department for d in stats.by_department],
                       "registered": [d.registered for d in stats.by_department],
                       "overdue": [d.overdue for d in stats.by_department]},
    }


def _extra_figures(stats: statistics.Statistics) -> list[tuple[str, str, Any]]:
    """回头看 and 反弹 figures (key, label, value), once the statistics carry them (lifecycle, #18)."""
    follow_up = getattr(stats, "follow_up", None)
    if follow_up is None:
        return []
    return [("follow_up_asked", "回头看（件）", follow_up.asked),
            ("follow_up_resolved", "回头看已解决（件）", follow_up.resolved),
            ("rebounded", "反弹（件）", follow_up.rebounded),
            ("rebound_rate", "反弹率", statistics.percent(follow_up.rebound_rate))]


def _download(data: bytes, kind: str, name: str) -> web.Response:
    return web.Response(body=data, content_type=kind, headers={
        "Content-Disposition": f"attachment; filename=\"{quote(name)}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})


def _span(period: statistics.Period) -> str:
    return f"{period.first.isoformat()}_{period.last.isoformat()}"


async def _period_or_400(request: web.Request) -> statistics.Period:
    signed_in(request, *DASHBOARD_ROLES)
    _, period = _period(request)
    if period is None:
        raise web.HTTPBadRequest()
    return period


async def ledger_xlsx(request: web.Request) -> web.StreamResponse:
    period = await _period_or_400(request)
    rows = await ledger.ledger_rows(db(request), request.app[RUNTIME], period)
    # Building the workbook is CPU work: off the event loop.
    data = await asyncio.to_thread(ledger.xlsx_bytes, rows, title=f"信访台账 {period.label}")
    return _download(data, XLSX, f"信访台账-{_span(period)}.xlsx")


async def report_xlsx(request: web.Request) -> web.StreamResponse:
    period = await _period_or_400(request)
    stats = await statistics.collect(db(request), request.app[RUNTIME], period)
    data = await asyncio.to_thread(monthly_report.xlsx_bytes, stats)
    return _download(data, XLSX, f"检查总结-{_span(period)}.xlsx")


async def report_docx_download(request: web.Request) -> web.StreamResponse:
    period = await _period_or_400(request)
    rt = request.app[RUNTIME]
    stats = await statistics.collect(db(request), rt, period)
    try:
        data = await asyncio.to_thread(report_docx.render_report, stats, day=rt.local_now().date(),
                                       **report_docx.from_settings(rt.settings))
    except NoCJKFont as exc:
        return message_page(request, 503, "无法生成 Word 文档", str(exc))
    return _download(data, DOCX, f"检查总结-{_span(period)}.docx")
