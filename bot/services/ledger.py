"""The 信访台账: one row per case registered in a period, as CSV or as a proper xlsx workbook.

Personal data is masked (phone numbers and ID numbers via ``nlp.mask_pii``, also inside titles and
results) because the ledger is passed between offices. On 检举控告类 cases the reporter's name and
phone are left out and the summary is identity-masked (``bot.services.masking``) unless the ledger is
made for a person entitled to them (the 信访 office, the supervisor). Dates are local (Asia/Shanghai) calendar
dates; in the workbook they are real date cells, so they sort and filter as dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import case_policy as policy
from bot.case_labels import source_label
from bot.case_policy import STATUS_LABELS
from bot.runtime import Runtime
from bot.services.calendar import Calendar
from bot.services.cell_text import csv_cell
from bot.services.masking import HIDDEN, Viewer, is_entitled, mask_text
from bot.services.sheet_print import table_sheet
from bot.services.statistics import SATISFACTION_LABELS, Period
from nlp import mask_pii
from storage.models import Case
from storage.repositories import case_figures as repo

ON_TIME, LATE, PENDING, NOT_DUE = "按期", "超期", "未到期", "—"
YES, NO = "是", "否"
RESOLVED = (policy.RESOLVED, policy.CLOSED)


@dataclass(frozen=True)
class LedgerRow:
    """One 台账 line. Field order is column order; ``COLUMNS`` has the headers."""

    index: int
    number: str
    registered_on: date
    source: str
    citizen: str
    phone: str
    title: str
    group: str
    category: str
    kind: str
    department: str
    owner: str
    leader: str
    status: str
    ack_due_on: date | None
    acknowledged_on: date | None
    ack_on_time: str
    resolve_due_on: date | None
    resolved_on: date | None
    days_used: int
    on_time: str
    result: str
    satisfaction: str
    repeat: str
    repeat_of: str
    group_risk: str
    urgent_flags: str
    risk_level: str


COLUMNS: tuple[tuple[str, int], ...] = (
    # (header, column width in characters)
    ("序号", 6), ("信访编号", 17), ("登记日期", 12), ("来源", 8), ("信访人", 14), ("联系电话", 14),
    ("事项摘要", 32), ("一级分类", 12), ("问题类别", 16), ("信访类型", 12), ("承办单位", 18),
    ("首问责任人", 12), ("包案领导", 12), ("办理状态", 10), ("受理告知期限", 13), ("受理日期", 12),
    ("受理是否按期", 12), ("办结期限", 12), ("办结日期", 12), ("办理用时(天)", 12), ("办结是否按期", 12),
    ("办理结果", 36), ("满意度", 10), ("重信重访", 9), ("重复件编号", 17), ("群体性苗头", 10),
    ("紧急关键词", 16), ("风险等级", 9),
)
DATE_FIELDS = frozenset({"registered_on", "ack_due_on", "acknowledged_on", "resolve_due_on", "resolved_on"})

assert len(COLUMNS) == len(fields(LedgerRow))


def _citizen_label(case: Case) -> str:
    if case.citizen_name:
        return mask_pii(case.citizen_name)
    if case.citizen_openid:
        # The openid identifies the person to the office only; a short tail is enough to tell rows apart.
        return f"微信用户…{case.citizen_openid[-4:]}"
    return "—"


def _ack_on_time(case: Case, ack_at: datetime | None, as_of: datetime) -> str:
    if case.ack_due_at is None:
        return NOT_DUE
    if ack_at is not None:
        return ON_TIME if ack_at <= case.ack_due_at else LATE
    return LATE if as_of > case.ack_due_at else PENDING


def _resolve_on_time(case: Case, as_of: datetime) -> str:
    if case.status == policy.DECLINED:
        return NOT_DUE
    if case.resolve_due_at is None:
        # Not yet accepted: the running deadline is the acknowledgement's.
        return LATE if case.ack_due_at is not None and as_of > case.ack_due_at else PENDING
    if case.status in RESOLVED and case.resolved_at is not None:
        return ON_TIME if case.resolved_at <= case.resolve_due_at else LATE
    # Open, including reopened after 不满意: judged on the running deadline.
    return LATE if as_of > case.resolve_due_at else PENDING


def build_row(index: int, case: Case, ack_at: datetime | None, repeat_numbers: dict[int, str],
              calendar: Calendar, as_of: datetime, viewer: Viewer | None = None) -> LedgerRow:
    def day(value: datetime | None) -> date | None:
        return calendar.local_date(value) if value is not None else None

    resolved_at = case.resolved_at if case.status in RESOLVED else None
    finished = resolved_at
    if case.status == policy.DECLINED and ack_at is not None:
        finished = ack_at
    days_used = calendar.days_between(case.registered_at, finished or as_of)
    entitled = is_entitled(viewer, case)
    return LedgerRow(
        index=index,
        number=case.number,
        registered_on=calendar.local_date(case.registered_at),
        source=source_label(case.source),
        citizen=_citizen_label(case) if entitled else HIDDEN,
        phone=(mask_pii(case.phone) if case.phone else "") if entitled else "",
        title=mask_pii(case.title) if entitled else mask_text(case, case.title),
        group=case.category_group,
        category=case.category,
        kind=case.kind,
        department=case.department.name if case.department is not None else "",
        owner=case.owner.name if case.owner is not None else "",
        leader=case.leader.name if case.leader is not None else "",
        status=STATUS_LABELS.get(case.status, case.status),
        ack_due_on=day(case.ack_due_at),
        acknowledged_on=day(ack_at),
        ack_on_time=_ack_on_time(case, ack_at, as_of),
        resolve_due_on=day(case.resolve_due_at),
        resolved_on=day(resolved_at),
        days_used=max(days_used, 0),
        on_time=_resolve_on_time(case, as_of),
        result=mask_pii(case.result or case.decline_reason or ""),
        satisfaction=SATISFACTION_LABELS.get(case.satisfaction or 0, ""),
        repeat=YES if case.repeat_of_id is not None else NO,
        repeat_of=repeat_numbers.get(case.repeat_of_id or 0, ""),
        group_risk=YES if case.group_risk else NO,
        urgent_flags="、".join(str(f) for f in case.urgent_flags or []),
        risk_level=case.risk_level or "",
    )


async def ledger_rows(session: AsyncSession, rt: Runtime, period: Period,
                      viewer: Viewer | None = None) -> list[LedgerRow]:
    """The ledger's rows as ``viewer`` may read them (``None``: a file for any office)."""
    pairs = await repo.ledger_cases(session, period.start, period.end)
    repeat_numbers = await repo.numbers_by_id(session, [c.repeat_of_id for c, _ in pairs if c.repeat_of_id])
    calendar = Calendar.from_settings(rt.settings)
    as_of = rt.now()
    return [build_row(i, case, ack_at, repeat_numbers, calendar, as_of, viewer)
            for i, (case, ack_at) in enumerate(pairs, start=1)]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(rows: Sequence[LedgerRow], out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow([h for h, _ in COLUMNS])
    for row in rows:
        writer.writerow([_cell_text(csv_cell(v)) for v in astuple(row)])


def csv_bytes(rows: Sequence[LedgerRow]) -> bytes:
    """UTF-8 with a BOM: Excel on Windows (what offices open CSVs with) then reads the Chinese right."""
    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue().encode("utf-8-sig")


def build_workbook(rows: Sequence[LedgerRow], *, title: str = "信访台账") -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    table_sheet(ws, title, COLUMNS, [list(astuple(row)) for row in rows])
    wb.properties.title = title
    return wb


def write_xlsx(rows: Sequence[LedgerRow], path: Path, *, title: str = "信访台账") -> None:
    build_workbook(rows, title=title).save(path)


def xlsx_bytes(rows: Sequence[LedgerRow], *, title: str = "信访台账") -> bytes:
    """The ledger workbook as bytes (for a download)."""
    buffer = io.BytesIO()
    build_workbook(rows, title=title).save(buffer)
    return buffer.getvalue()
