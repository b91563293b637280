"""大下访 campaigns (§9): defining a campaign, its phases and departments, and its progress figures.

A campaign runs from the first day of 动员排查 to the last day of 检查总结; "today's phase" is the
phase whose dates contain the local date. Figures (registered, resolved, 化解率, overdue, 回头看
done) count the campaign's problem cases — every case tagged with the campaign except the 三问
suggestions, which are counted on their own. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import case_policy as policy
from bot.runtime import Runtime
from bot.services import people as people_service
from bot.services.reception import SessionError, find_person
from nlp.numbers import parse_number
from storage.models import (
    Campaign,
    CampaignDepartment,
    CampaignPhase,
    CampaignReview,
    CampaignSuggestion,
    Case,
    Person,
)
from storage.models.campaign import PHASES
from storage.repositories.departments import department_named

RESOLVED = (policy.RESOLVED, policy.CLOSED)
OPEN = policy.OPEN_STATUSES


class CampaignError(ValueError):
    """A campaign definition or import an admin got wrong (the CLI prints it)."""


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise CampaignError(f"date {value!r} is not YYYY-MM-DD") from exc


def check_phases(phases: dict[str, tuple[Any, Any]]) -> list[tuple[str, date, date]]:
    """All four phases, each start ≤ end, in order without overlap."""
    missing = [p for p in PHASES if p not in phases]
    if missing:
        raise CampaignError(f"missing phase dates: {', '.join(missing)}")
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        raise CampaignError(f"unknown phases: {', '.join(unknown)} (phases: {', '.join(PHASES)})")
    result = []
    previous_end: date | None = None
    for name in PHASES:
        start, end = (_as_date(v) for v in phases[name])
        if end < start:
            raise CampaignError(f"phase {name}: end {end} before start {start}")
        if previous_end is not None and start <= previous_end:
            raise CampaignError(f"phase {name} starts {start}, before the previous phase ends ({previous_end})")
        previous_end = end
        result.append((name, start, end))
    return result


async def create_campaign(
    session: AsyncSession, rt: Runtime, *, name: str, phases: dict[str, tuple[Any, Any]],
    departments: list[tuple[str, Any]], lead: str = "督查室",
) -> Campaign:
    """A campaign with its four phases and participating departments (name, responsible leader)."""
    if not name.strip():
        raise CampaignError("a campaign needs a name")
    if await session.scalar(select(Campaign).where(Campaign.name == name)) is not None:
        raise CampaignError(f"campaign {name!r} already exists")
    checked = check_phases(phases)
    if not departments:
        raise CampaignError("a campaign needs at least one participating department")
    lead_dept = await department_named(session, lead)
    assert lead_dept is not None
    lead_dept.is_supervision = True
    campaign = Campaign(name=name, lead_department_id=lead_dept.id, created_at=rt.now())
    session.add(campaign)
    await session.flush()
    for seq, (phase, start, end) in enumerate(checked):
        session.add(CampaignPhase(campaign_id=campaign.id, seq=seq, name=phase, starts_on=start, ends_on=end))
    seen: set[int] = set()
    for dept_name, leader_ref in departments:
        dept = await department_named(session, dept_name)
        assert dept is not None
        if dept.id in seen:
            raise CampaignError(f"department {dept_name!r} listed twice")
        seen.add(dept.id)
        leader = None
        if leader_ref not in (None, ""):
            try:
                leader = await find_person(session, leader_ref)
            except SessionError as exc:
                raise CampaignError(str(exc)) from exc
        session.add(CampaignDepartment(campaign_id=campaign.id, department_id=dept.id,
                                       leader_id=leader.id if leader else None))
    await session.flush()
    return campaign


async def all_campaigns(session: AsyncSession) -> list[Campaign]:
    return list((await session.scalars(select(Campaign).order_by(Campaign.id))).unique())


async def campaign_by_ref(session: AsyncSession, ref: Any) -> Campaign | None:
    text = str(ref).strip()
    if (campaign_id := parse_number(text)) is not None:
        return await session.get(Campaign, campaign_id)
    return await session.scalar(select(Campaign).where(Campaign.name == text))


async def phases_of(session: AsyncSession, campaign_id: int) -> list[CampaignPhase]:
    return list(await session.scalars(
        select(CampaignPhase).where(CampaignPhase.campaign_id == campaign_id).order_by(CampaignPhase.seq)))


def phase_on(phases: list[CampaignPhase], day: date) -> CampaignPhase | None:
    for phase in phases:
        if phase.starts_on <= day <= phase.ends_on:
            return phase
    return None


def period_of(phases: list[CampaignPhase]) -> tuple[date, date]:
    return phases[0].starts_on, phases[-1].ends_on


@dataclass
class Current:
    campaign: Campaign
    phases: list[CampaignPhase]
    phase: CampaignPhase | None  # None between phases (a gap in the plan)

    @property
    def first(self) -> date:
        return self.phases[0].starts_on

    @property
    def last(self) -> date:
        return self.phases[-1].ends_on


async def running(session: AsyncSession, rt: Runtime, day: date | None = None) -> list[Current]:
    """Campaigns whose period contains ``day`` (today by default)."""
    day = day or rt.local_now().date()
    found = []
    for campaign in await all_campaigns(session):
        phases = await phases_of(session, campaign.id)
        if phases and phases[0].starts_on <= day <= phases[-1].ends_on:
            found.append(Current(campaign, phases, phase_on(phases, day)))
    return found


async def current(session: AsyncSession, rt: Runtime) -> Current | None:
    found = await running(session, rt)
    return found[0] if found else None


async def set_phase(session: AsyncSession, campaign: Campaign, phase: str, start: Any, end: Any) -> None:
    """Move one phase's dates; the four phases must stay in order."""
    phases = await phases_of(session, campaign.id)
    plan = {p.name: (p.starts_on, p.ends_on) for p in phases}
    if phase not in plan:
        raise CampaignError(f"unknown phase {phase!r} (phases: {', '.join(PHASES)})")
    plan[phase] = (_as_date(start), _as_date(end))
    checked = dict((n, (s, e)) for n, s, e in check_phases(plan))
    for row in phases:
        row.starts_on, row.ends_on = checked[row.name]
    await session.flush()


async def departments_of(session: AsyncSession, campaign_id: int) -> list[CampaignDepartment]:
    return list((await session.scalars(
        select(CampaignDepartment).where(CampaignDepartment.campaign_id == campaign_id)
        .order_by(CampaignDepartment.id))).unique())


async def participation(session: AsyncSession, campaign_id: int, department_id: int | None) -> CampaignDepartment | None:
    if department_id is None:
        return None
    return await session.scalar(select(CampaignDepartment).where(
        CampaignDepartment.campaign_id == campaign_id, CampaignDepartment.department_id == department_id))


async def lead_office_people(session: AsyncSession, campaign: Campaign) -> list[Person]:
    """督查室: the supervisors of the lead department, or every supervisor when it has none bound."""
    everyone = await people_service.supervisors(session)
    mine = [p for p in everyone if p.department_id == campaign.lead_department_id]
    return mine or everyone


# ---- figures -------------------------------------------------------------------------------------

@dataclass
class Figures:
    registered: int = 0
    resolved: int = 0
    overdue: int = 0
    reviewed: int = 0
    rebounded: int = 0
    major: int = 0
    case_ids: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.resolved / self.registered if self.registered else None

    def add(self, other: Figures) -> None:
        for name in ("registered", "resolved", "overdue", "reviewed", "rebounded", "major"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def is_overdue(case: Case, now: datetime) -> bool:
    _, due = policy.running_deadline(case)
    return due is not None and due < now


async def problem_cases(session: AsyncSession, campaign_id: int) -> list[Case]:
    """The campaign's cases except the 三问 suggestions, in registration order."""
    suggestions = select(CampaignSuggestion.case_id).where(CampaignSuggestion.campaign_id == campaign_id)
    return list((await session.scalars(
        select(Case).where(Case.campaign_id == campaign_id, Case.id.not_in(suggestions)).order_by(Case.id))).unique())


async def reviews_of(session: AsyncSession, campaign_id: int) -> list[CampaignReview]:
    return list(await session.scalars(
        select(CampaignReview).where(CampaignReview.campaign_id == campaign_id).order_by(CampaignReview.id)))


def figures_of(cases: list[Case], reviews: list[CampaignReview], now: datetime) -> Figures:
    ids = {c.id for c in cases}
    reviewed = {r.case_id for r in reviews if r.case_id in ids}
    rebounded = {r.case_id for r in reviews if r.case_id in ids and r.result == "反弹"}
    return Figures(
        registered=len(cases), resolved=sum(c.status in RESOLVED for c in cases),
        overdue=sum(is_overdue(c, now) for c in cases), reviewed=len(reviewed), rebounded=len(rebounded),
        major=sum(c.risk_level == "重大" for c in cases), case_ids=sorted(ids))


async def figures_by_department(session: AsyncSession, rt: Runtime,
                                campaign: Campaign) -> list[tuple[CampaignDepartment, Figures]]:
    cases = await problem_cases(session, campaign.id)
    reviews = await reviews_of(session, campaign.id)
    now = rt.now()
    return [(cd, figures_of([c for c in cases if c.department_id == cd.department_id], reviews, now))
            for cd in await departments_of(session, campaign.id)]


async def figures(session: AsyncSession, rt: Runtime, campaign: Campaign, department_id: int | None = None) -> Figures:
    cases = await problem_cases(session, campaign.id)
    if department_id is not None:
        cases = [c for c in cases if c.department_id == department_id]
    return figures_of(cases, await reviews_of(session, campaign.id), rt.now())


def figure_values(f: Figures) -> dict[str, Any]:
    return {"registered": f.registered, "resolved": f.resolved, "rate": percent(f.rate), "overdue": f.overdue,
            "reviewed": f.reviewed}
