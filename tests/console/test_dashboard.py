"""The dashboard shows chat's `统计` figures (one computation) and downloads the period's xlsx files."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.console.desk import Desk
from tests.console.figures import chat_figures, page_figures
from tests.staff.office import file_complaint


async def test_dashboard_figures_equal_chat_statistics_and_downloads_open(desk: Desk) -> None:
    first = await file_complaint(desk.office, "o-c1")
    await file_complaint(desk.office, "o-c2", "物业公司不修电梯，老人上下楼困难")
    await desk.office.say("staff", f"受理 {first}")
    await desk.office.say("staff", f"办结 {first} 已责成物业公司退还多收费用")
    await desk.office.say("o-c1", "1")
    leader = await desk.browser("leader")
    for period in ("", "本月", "2026-11"):
        chat = chat_figures(await desk.office.say("leader", f"统计 {period}".strip()))
        page = await leader.get("/dashboard", params={"period": period} if period else None)
        assert page.status == 200
        shown = {k: v for k, v in page_figures(page.text).items() if k in chat}
        assert shown == chat, period
    assert chat["total"] == "2"

    status, kind, body = await leader.get_bytes("/dashboard/ledger.xlsx?period=2026-11")
    assert status == 200 and "spreadsheet" in kind
    sheet = load_workbook(io.BytesIO(body)).active
    assert first in [c.value for row in sheet.iter_rows() for c in row]
    status, kind, body = await leader.get_bytes("/dashboard/report.xlsx?period=2026-11")
    assert status == 200 and load_workbook(io.BytesIO(body)).sheetnames
    status, kind, body = await leader.get_bytes("/dashboard/report.docx?period=2026-11")
    assert status == 200 and "wordprocessingml" in kind and body[:2] == b"PK"

    assert (await leader.get("/dashboard", params={"period": "' OR 1=1"})).status == 400
    assert (await (await desk.browser("staff")).get("/dashboard")).status == 403
