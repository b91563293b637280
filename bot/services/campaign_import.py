"""Bulk 排查 registration from a CSV or xlsx file (``xinfang campaign import``), with a template.

Every row is checked before anything is written: required columns, risk words, dates inside the
campaign, participating departments, people counts, duplicates within the file and against problems
already registered. The report names each bad row (by its line in the file) and why. Good rows are
filed only when the file is clean, or when the caller asks for ``partial``; either way all of them
go in the caller's one transaction, so an import is never half-written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services import campaign as svc
from bot.services import campaign_work as work
from bot.services.cases import Actor
from nlp.text_files import UndecodableText, read_text_file
from storage.models import Campaign, CampaignProblem, Department
from storage.models.campaign import RISK_LEVELS

COLUMNS = ("问题内容", "承办单位", "风险等级", "排查类型", "发现日期", "地点", "涉及人数", "来源", "联系人", "联系电话")
REQUIRED = ("问题内容", "承办单位", "风险等级", "发现日期")
SOURCES = ("排查", "下访")
DEFAULT_KIND = "矛盾纠纷"
EXAMPLE = ("某小区物业与业主因停车费标准产生纠纷，业主多次聚集", "住房和城乡建设局", "较大", "矛盾纠纷", "2026-09-05",
           "城关街道幸福小区", "30", "排查", "", "")


def template_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE)
    return buffer.getvalue()


def write_template_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    from bot.services.sheet_print import style_header

    wb = Workbook()
    ws = wb.active
    ws.title = "排查登记"
    ws.append(list(COLUMNS))
    ws.append(list(EXAMPLE))
    style_header(ws, [40, 18, 9, 12, 12, 24, 9, 8, 10, 14])
    notes = wb.create_sheet("填写说明")
    for line in (f"必填列：{'、'.join(REQUIRED)}", f"风险等级：{' / '.join(RISK_LEVELS)}",
                 "发现日期：YYYY-MM-DD，须在活动期间内", "承办单位：须为参加活动的单位", f"来源：{' / '.join(SOURCES)}（默认排查）",
                 "涉及人数：整数，可空", "同一单位、同一日期、相同内容的行视为重复"):
        notes.append([line])
    notes.column_dimensions["A"].width = 60
    wb.save(path)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, missing columns)."""


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number in the file, {column: value}) for every non-blank data row."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        ws = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        raw = [list(r) for r in ws.iter_rows(values_only=True)]
    elif path.suffix.lower() == ".csv":
        try:
            raw = list(csv.reader(io.StringIO(read_text_file(path))))
        except UndecodableText as exc:
            raise ImportFileError(str(exc)) from None
    else:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported")
    if not raw:
        raise ImportFileError(f"{path.name}: the file is empty")
    headers = [str(h).strip() if h is not None else "" for h in raw[0]]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise ImportFileError(f"{path.name}: missing columns: {', '.join(missing)} "
                              f"(template: xinfang campaign template)")
    rows = []
    for line, values in enumerate(raw[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        rows.append((line, {h: values[i] if i < len(values) else None for i, h in enumerate(headers) if h}))
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
        return None


@dataclass
class GoodRow:
    line: int
    content: str
    department: Department
    risk: str
    kind: str
    found_on: date
    place: str | None
    people: int | None
    source: str
    name: str | None
    phone: str | None


@dataclass
class ImportReport:
    total: int = 0
    good: list[GoodRow] = field(default_factory=list)
    errors: list[tuple[int, list[str]]] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)  # case numbers

    @property
    def clean(self) -> bool:
        return not self.errors


async def check_rows(session: AsyncSession, campaign: Campaign,
                     rows: list[tuple[int, dict[str, Any]]]) -> ImportReport:
    phases = await svc.phases_of(session, campaign.id)
    first, last = svc.period_of(phases)
    departments = {cd.department.name: cd.department for cd in await svc.departments_of(session, campaign.id)}
    known = set(await session.scalars(
        select(CampaignProblem.fingerprint).where(CampaignProblem.campaign_id == campaign.id)))
    seen: dict[str, int] = {}
    report = ImportReport(total=len(rows))
    for line, row in rows:
        reasons: list[str] = []
        content = _text(row.get("问题内容"))
        dept_name = _text(row.get("承办单位"))
        risk = _text(row.get("风险等级")).removesuffix("风险")
        found_raw = row.get("发现日期")
        if not content:
            reasons.append("问题内容为空")
        elif len(content) < 6:
            reasons.append("问题内容过短")
        dept = departments.get(dept_name)
        if not dept_name:
            reasons.append("承办单位为空")
        elif dept is None:
            reasons.append(f"承办单位“{dept_name}”未参加本次活动")
        if risk not in RISK_LEVELS:
            reasons.append(f"风险等级“{_text(row.get('风险等级'))}”不是 {'/'.join(RISK_LEVELS)}")
        found_on = _date(found_raw)
        if found_on is None:
            reasons.append(f"发现日期“{_text(found_raw)}”无法识别（应为 YYYY-MM-DD）")
        elif not first <= found_on <= last:
            reasons.append(f"发现日期 {found_on.isoformat()} 不在活动期间（{first.isoformat()}至{last.isoformat()}）")
        people_text = _text(row.get("涉及人数"))
        people = None
        if people_text:
            if people_text.isdigit():
                people = int(people_text)
            else:
                reasons.append(f"涉及人数“{people_text}”不是整数")
        source = _text(row.get("来源")) or "排查"
        if source not in SOURCES:
            reasons.append(f"来源“{source}”不是 {'/'.join(SOURCES)}")
        if not reasons and dept is not None and found_on is not None:
            key = work.fingerprint(dept.name, found_on, content)
            if key in seen:
                reasons.append(f"与第 {seen[key]} 行重复")
            elif key in known:
                reasons.append("与已登记的问题重复")
            else:
                seen[key] = line
        if reasons:
            report.errors.append((line, reasons))
            continue
        assert dept is not None and found_on is not None
        report.good.append(GoodRow(line=line, content=content, department=dept, risk=risk,
                                   kind=_text(row.get("排查类型")) or DEFAULT_KIND, found_on=found_on,
                                   place=_text(row.get("地点")) or None, people=people, source=source,
                                   name=_text(row.get("联系人")) or None, phone=_text(row.get("联系电话")) or None))
    return report


async def import_file(session: AsyncSession, rt: Runtime, campaign: Campaign, path: Path, *,
                      partial: bool = False) -> ImportReport:
    """Check every row; file the good ones when the file is clean or ``partial`` is asked for."""
    report = await check_rows(session, campaign, read_rows(path))
    if report.errors and not partial:
        return report
    actor = Actor("admin")
    for row in report.good:
        case = await work.register_problem(
            session, rt, campaign, content=row.content, department=row.department, risk=row.risk,
            problem_kind=row.kind, actor=actor, place=row.place, people=row.people, source=row.source,
            found_on=row.found_on, citizen_name=row.name, phone=row.phone)
        report.imported.append(case.number)
    return report


def describe(report: ImportReport, *, partial: bool) -> str:
    lines = [f"共 {report.total} 行：合格 {len(report.good)} 行，有误 {len(report.errors)} 行。"]
    for line, reasons in report.errors:
        lines.append(f"第 {line} 行：{'；'.join(reasons)}")
    if report.imported:
        lines.append(f"已导入 {len(report.imported)} 件：{'、'.join(report.imported)}")
    elif report.errors and not partial:
        lines.append("未导入任何数据。修正后重新导入，或加 --partial 只导入合格行。")
    return "\n".join(lines)
