"""The campaign ledger (下访台账, xlsx) and the 工作总结 summary (Markdown and xlsx).

Ledger sheets: 排查台账 (every problem case with both category levels and its risk), 下访场次,
三问建议, 部门进度. The summary gives the figures by department, by category and by phase, plus the
visits and suggestions, in the layout the 市政府办公室 receives. Personal data is masked as in the
ordinary ledger. Everything is read in one pass into ``Snapshot``; the writers only lay it out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_labels import source_label
from bot.case_policy import STATUS_LABELS
from bot.runtime import Runtime
from bot.services import campaign as svc
from bot.services import campaign_work as work
from bot.services.masking import mask_for_viewer
from bot.services.sheet_print import Ratio, table_sheet
from nlp import mask_pii
from storage.models import (
    Campaign,
    CampaignPhase,
    CampaignProblem,
    CampaignReview,
    CampaignSuggestion,
    CampaignVisit,
    Case,
    ReceptionSession,
)
from storage.models.campaign import ADOPTIONS

BEFORE = "活动前"
Table = tuple[str, list[str], list[list[Any]]]


@dataclass
class Snapshot:
    campaign: Campaign
    phases: list[CampaignPhase]
    cases: list[Case]
    problems: dict[int, CampaignProblem]
    reviews: list[CampaignReview]
    visits: list[tuple[CampaignVisit, ReceptionSession | None]]
    suggestions: list[tuple[CampaignSuggestion, Case]]
    departments: list[tuple[svc.CampaignDepartment, svc.Figures]]
    numbers: dict[int, str]
    as_of: date

    def local(self, rt: Runtime, value: Any) -> date | None:
        return value.astimezone(rt.tz).date() if value is not None else None


async def snapshot(session: AsyncSession, rt: Runtime, campaign: Campaign) -> Snapshot:
    cases = await svc.problem_cases(session, campaign.id)
    problems = {p.case_id: p for p in await session.scalars(
        select(CampaignProblem).where(CampaignProblem.campaign_id == campaign.id))}
    visits = [(v, await session.get(ReceptionSession, v.reception_session_id))
              for v in await work.visits_of(session, campaign.id)]
    suggestions = []
    for s in await work.suggestions_of(session, campaign.id):
        case = await session.get(Case, s.case_id)
        assert case is not None
        suggestions.append((s, case))
    ids = {i for v, _ in visits for i in [*(v.case_ids or []), *(v.new_case_ids or []), *(v.closed_case_ids or [])]}
    rows = (await session.execute(select(Case.id, Case.number).where(Case.id.in_(ids)))).all() if ids else []
    numbers = {case_id: number for case_id, number in rows}
    return Snapshot(campaign=campaign, phases=await svc.phases_of(session, campaign.id), cases=cases,
                    problems=problems, reviews=await svc.reviews_of(session, campaign.id), visits=visits,
                    suggestions=suggestions, departments=await svc.figures_by_department(session, rt, campaign),
                    numbers=numbers, as_of=rt.local_now().date())


def case_phase(rt: Runtime, snap: Snapshot, case: Case) -> str:
    problem = snap.problems.get(case.id)
    if problem is not None and problem.phase:
        return problem.phase
    phase = svc.phase_on(snap.phases, snap.local(rt, case.registered_at))  # type: ignore[arg-type]
    return phase.name if phase else BEFORE


def _last_review(snap: Snapshot, case_id: int) -> str:
    verdicts = [r for r in snap.reviews if r.case_id == case_id]
    if not verdicts:
        return ""
    last = verdicts[-1]
    return f"{last.result}{('：' + last.note) if last.note else ''}"


# ---- ledger ----------------------------------------------------------------------------------------

CASE_HEADERS = [("序号", 6), ("信访编号", 17), ("登记日期", 12), ("发现日期", 12), ("阶段", 10), ("来源", 8),
                ("排查类型", 12), ("事项摘要", 32), ("地点", 20), ("涉及人数", 9), ("一级分类", 12), ("问题类别", 16),
                ("风险等级", 9), ("承办单位", 18), ("责任领导", 12), ("首问责任人", 12), ("办理状态", 10),
                ("办结日期", 12), ("办理结果", 30), ("回头看", 20)]
VISIT_HEADERS = [("场次", 6), ("日期", 12), ("形式", 10), ("带队领导", 12), ("地点", 20), ("携带案件", 30),
                 ("接待人数", 9), ("新发现问题", 30), ("当场化解", 30), ("记录", 8)]
SUGGESTION_HEADERS = [("序号", 6), ("编号", 17), ("提交日期", 12), ("建议内容", 40), ("一级分类", 12),
                      ("问题类别", 16), ("承办单位", 18), ("采纳情况", 10), ("答复内容", 36), ("答复日期", 12)]
DEPT_HEADERS = [("参加单位", 18), ("责任领导", 12), ("登记（件）", 10), ("化解（件）", 10), ("化解率", 9),
                ("超期（件）", 10), ("回头看（件）", 11), ("反弹（件）", 10), ("重大风险（件）", 12)]


def case_rows(rt: Runtime, snap: Snapshot) -> list[list[Any]]:
    leaders = {cd.department_id: (cd.leader.name if cd.leader else "") for cd, _ in snap.departments}
    rows = []
    for i, case in enumerate(snap.cases, 1):
        problem = snap.problems.get(case.id)
        resolved = snap.local(rt, case.resolved_at) if case.status in svc.RESOLVED else None
        rows.append([
            i, case.number, snap.local(rt, case.registered_at), problem.found_on if problem else None,
            case_phase(rt, snap, case), source_label(case.source),
            # A file for any office: a 检举控告类 reporter's identity is masked (viewer None).
            problem.problem_kind if problem else "带案下访", mask_for_viewer(None, case, mask_pii(case.title)),
            mask_for_viewer(None, case, mask_pii(problem.place or "") if problem else (case.location_text or "")),
            problem.people_involved if problem and problem.people_involved is not None else None,
            case.category_group, case.category, case.risk_level or "", case.department.name,
            leaders.get(case.department_id, ""), case.owner.name if case.owner else "",
            STATUS_LABELS.get(case.status, case.status), resolved,
            mask_pii(case.result or "") if resolved else "", _last_review(snap, case.id)])
    return rows


def _numbers(snap: Snapshot, ids: list[Any] | None) -> str:
    return "、".join(snap.numbers.get(int(i), str(i)) for i in ids or [])


def visit_rows(snap: Snapshot) -> list[list[Any]]:
    return [[v.id, v.day, v.form, s.leader.name if s is not None and s.leader else "", s.place if s else "",
             _numbers(snap, v.case_ids), v.people_met, _numbers(snap, v.new_case_ids),
             _numbers(snap, v.closed_case_ids), "已记录" if v.recorded_at else "未记录"]
            for v, s in snap.visits]


def suggestion_rows(rt: Runtime, snap: Snapshot) -> list[list[Any]]:
    return [[i, case.number, snap.local(rt, case.registered_at), mask_pii(case.content), case.category_group,
             case.category, case.department.name, s.adoption or "待答复", s.answer or "", snap.local(rt, s.answered_at)]
            for i, (s, case) in enumerate(snap.suggestions, 1)]


def department_rows(snap: Snapshot) -> list[list[Any]]:
    rows: list[list[Any]] = []
    total = svc.Figures()
    for cd, f in snap.departments:
        total.add(f)
        rows.append([cd.department.name, cd.leader.name if cd.leader else "", f.registered, f.resolved,
                     Ratio(f.rate), f.overdue, f.reviewed, f.rebounded, f.major])
    rows.append(["合计", "", total.registered, total.resolved, Ratio(total.rate), total.overdue,
                 total.reviewed, total.rebounded, total.major])
    return rows


def _sheet(wb: Any, title: str, headers: list[tuple[str, int]], rows: list[list[Any]], *, caption: str,
           first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    table_sheet(ws, caption, headers, rows)


def build_ledger(rt: Runtime, snap: Snapshot) -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    name = snap.campaign.name
    _sheet(wb, "排查台账", CASE_HEADERS, case_rows(rt, snap), caption=f"{name}·排查台账", first=True)
    _sheet(wb, "下访场次", VISIT_HEADERS, visit_rows(snap), caption=f"{name}·下访场次")
    _sheet(wb, "三问建议", SUGGESTION_HEADERS, suggestion_rows(rt, snap), caption=f"{name}·三问建议")
    _sheet(wb, "部门进度", DEPT_HEADERS, department_rows(snap), caption=f"{name}·部门进度")
    wb.properties.title = f"{name}台账"
    return wb


def write_ledger(rt: Runtime, snap: Snapshot, path: Path) -> None:
    build_ledger(rt, snap).save(path)


# ---- summary ---------------------------------------------------------------------------------------

def category_rows(snap: Snapshot) -> list[list[Any]]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for case in snap.cases:
        entry = counts[(case.category_group, case.category)]
        entry[0] += 1
        entry[1] += case.status in svc.RESOLVED
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [[group, cat, n, done, Ratio(done / n if n else None)] for (group, cat), (n, done) in ordered]


def phase_rows(rt: Runtime, snap: Snapshot) -> list[list[Any]]:
    found = Counter(case_phase(rt, snap, c) for c in snap.cases)
    resolved: Counter[str] = Counter()
    for case in snap.cases:
        if case.status in svc.RESOLVED:
            phase = svc.phase_on(snap.phases, snap.local(rt, case.resolved_at))  # type: ignore[arg-type]
            resolved[phase.name if phase else BEFORE] += 1
    reviewed: Counter[str] = Counter()
    for review in snap.reviews:
        phase = svc.phase_on(snap.phases, snap.local(rt, review.at))  # type: ignore[arg-type]
        reviewed[phase.name if phase else BEFORE] += 1
    visits = Counter(p.name for v, _ in snap.visits if (p := svc.phase_on(snap.phases, v.day)))
    rows = []
    names = [p.name for p in snap.phases]
    if found.get(BEFORE) or resolved.get(BEFORE):
        names = [BEFORE, *names]
    dates = {p.name: f"{p.starts_on.isoformat()}至{p.ends_on.isoformat()}" for p in snap.phases}
    for name in names:
        rows.append([name, dates.get(name, ""), found.get(name, 0), visits.get(name, 0), resolved.get(name, 0),
                     reviewed.get(name, 0)])
    return rows


def suggestion_summary(snap: Snapshot) -> list[list[Any]]:
    counts = Counter(s.adoption or "待答复" for s, _ in snap.suggestions)
    return [[label, counts.get(label, 0)] for label in (*ADOPTIONS, "待答复")] + [["合计", len(snap.suggestions)]]


def visit_summary(snap: Snapshot) -> list[list[Any]]:
    rows = []
    for form in sorted({v.form for v, _ in snap.visits}):
        mine = [v for v, _ in snap.visits if v.form == form]
        rows.append([form, len(mine), sum(v.people_met or 0 for v in mine), sum(len(v.new_case_ids or []) for v in mine),
                     sum(len(v.closed_case_ids or []) for v in mine)])
    return rows


def summary_tables(rt: Runtime, snap: Snapshot) -> list[Table]:
    return [
        ("一、分单位情况", [h for h, _ in DEPT_HEADERS], department_rows(snap)),
        ("二、分类别情况", ["一级分类", "问题类别", "登记（件）", "化解（件）", "化解率"], category_rows(snap)),
        ("三、分阶段情况", ["阶段", "起止日期", "排查登记（件）", "下访场次", "化解（件）", "回头看（件）"], phase_rows(rt, snap)),
        ("四、下访情况", ["下访形式", "场次", "接待群众（人）", "新发现问题（件）", "当场化解（件）"], visit_summary(snap)),
        ("五、三问建议", ["采纳情况", "条数"], suggestion_summary(snap)),
    ]


def _md(value: Any) -> str:
    text = "" if value is None else (value.isoformat() if isinstance(value, date) else str(value))
    return text.replace("|", "／").replace("\n", " ")


def totals(snap: Snapshot) -> svc.Figures:
    total = svc.Figures()
    for _, f in snap.departments:
        total.add(f)
    return total


def narrative(snap: Snapshot) -> list[str]:
    """The 总结's opening paragraphs (shared by Markdown and docx)."""
    first, last = svc.period_of(snap.phases)
    total = totals(snap)
    return [f"活动时间：{first.isoformat()}至{last.isoformat()}；牵头单位："
            f"{snap.campaign.lead_department.name if snap.campaign.lead_department else '督查室'}；"
            f"统计截至{snap.as_of.isoformat()}。",
            f"活动期间共排查登记问题 {total.registered} 件，化解 {total.resolved} 件，"
            f"化解率 {svc.percent(total.rate)}；超期 {total.overdue} 件；“回头看” {total.reviewed} 件，"
            f"其中反弹 {total.rebounded} 件；重大稳定风险 {total.major} 件。"
            f"开展下访 {len(snap.visits)} 场次，收到群众建议 {len(snap.suggestions)} 条。"]


def render_markdown(rt: Runtime, snap: Snapshot) -> str:
    lines = [f"# {snap.campaign.name}工作总结", ""]
    for paragraph in narrative(snap):
        lines += [paragraph, ""]
    for title, headers, rows in summary_tables(rt, snap):
        lines += [f"## {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def build_summary_workbook(rt: Runtime, snap: Snapshot) -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    for i, (title, headers, rows) in enumerate(summary_tables(rt, snap)):
        name = title.split("、", 1)[-1][:31]
        _sheet(wb, name, [(h, max(10, len(h) * 2 + 2)) for h in headers], rows,
               caption=f"{snap.campaign.name}工作总结·{name}", first=i == 0)
    wb.properties.title = f"{snap.campaign.name}工作总结"
    return wb


def write_summary_xlsx(rt: Runtime, snap: Snapshot, path: Path) -> None:
    build_summary_workbook(rt, snap).save(path)
