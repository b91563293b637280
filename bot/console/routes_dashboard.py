"""Dashboard (统计): the figures of chat's ``统计`` and ``xinfang report`` for a period, and downloads.

One computation: the page renders ``statistics.collect`` — the object the chat summary and the
report are built from — so the three can only agree. The same people as chat's ``统计`` may look
(leaders, supervisors) plus admins; the ledger and report downloads cover the period shown.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import case_policy as policy
from bot.console import labels
from bot.console.security import RUNTIME, db, page, signed_in
from bot.services import ledger, monthly_report, statistics

# Who sees chat's 统计, plus admins (who run `xinfang report` at the terminal).
DASHBOARD_ROLES = (*sorted(policy.STATISTICS_ROLES), policy.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PERIOD_TEXT = 40


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard/ledger.xlsx", ledger_xlsx)
    app.router.add_get("/dashboard/report.xlsx", report_xlsx)


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


async def _xlsx(request: web.Request, name: str, write: Callable[[Path], None]) -> web.StreamResponse:
    def build() -> bytes:
        with tempfile.TemporaryDirectory(prefix="xinfang-console-") as tmp:
            path = Path(tmp) / "out.xlsx"
            write(path)
            return path.read_bytes()

    data = await asyncio.to_thread(build)
    from urllib.parse import quote

    return web.Response(body=data, content_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{quote(name)}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})


async def ledger_xlsx(request: web.Request) -> web.StreamResponse:
    signed_in(request, *DASHBOARD_ROLES)
    _, period = _period(request)
    if period is None:
        raise web.HTTPBadRequest()
    rows = await ledger.ledger_rows(db(request), request.app[RUNTIME], period)
    title = f"信访台账 {period.label}"
    return await _xlsx(request, f"信访台账-{period.first.isoformat()}_{period.last.isoformat()}.xlsx",
                       lambda path: ledger.write_xlsx(rows, path, title=title))


async def report_xlsx(request: web.Request) -> web.StreamResponse:
    signed_in(request, *DASHBOARD_ROLES)
    _, period = _period(request)
    if period is None:
        raise web.HTTPBadRequest()
    stats = await statistics.collect(db(request), request.app[RUNTIME], period)
    return await _xlsx(request, f"检查总结-{period.first.isoformat()}_{period.last.isoformat()}.xlsx",
                       lambda path: monthly_report.write_xlsx(stats, path))
