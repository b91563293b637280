"""Campaign work on cases: 排查 registration, visits and their outcomes, 三问 suggestions, 回头看.

Everything goes through the ordinary case workflow (``intake.take_in``, ``record``, ``bot.services.
workflow``), so campaign cases get the same deadlines, 首问 and messages as any other. Results are
``workflow.Outcome`` values; only bugs raise. Nothing here commits.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import RESOLVE_DAYS, SEE_ALL_ROLES, can_see
from bot.outbox import notify, notify_people
from bot.runtime import Runtime
from bot.services import campaign as svc
from bot.services import campaign_texts as texts
from bot.services import reception as reception_service
from bot.services import workflow
from bot.services.calendar import Calendar
from bot.services.cases import Actor, can, record
from bot.services.intake import Intake, take_in
from bot.services.workflow import Outcome
from nlp.numbers import parse_number
from storage.models import (
    Campaign,
    CampaignProblem,
    CampaignReview,
    CampaignSuggestion,
    CampaignVisit,
    Case,
    Department,
    Person,
)
from storage.models.campaign import ADOPTIONS, REVIEW_RESULTS, RISK_LEVELS, VISIT_FORMS
from storage.repositories.departments import department_named

SUGGESTION_KIND = "建议意见类"
SUGGESTION_PHASE = "集中下访"


def _fail(reason: str, case: Case | None = None, **detail: Any) -> Outcome:
    return Outcome(False, reason, case, detail)


def fingerprint(department: str, found_on: date, content: str) -> str:
    text = f"{department}|{found_on.isoformat()}|{' '.join(content.split())}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- 排查 register ---------------------------------------------------------------------------------

async def register_problem(
    session: AsyncSession, rt: Runtime, campaign: Campaign, *, content: str, department: Department,
    risk: str, problem_kind: str, actor: Actor, place: str | None = None, people: int | None = None,
    owner: Person | None = None, source: str = "排查", found_on: date | None = None,
    visit_id: int | None = None, citizen_name: str | None = None, phone: str | None = None,
) -> Case:
    """A 排查/下访 problem as a campaign case; 重大 risk alerts the department leader and 督查室."""
    assert risk in RISK_LEVELS
    found_on = found_on or rt.local_now().date()
    # The common intake: alarm words in context, repeat detection and the group-risk alert to
    # 督查室 and the department's leaders, deadlines from the day the problem was found.
    taken = await take_in(session, rt, Intake(
        content=content, source=source, actor=actor, location_text=place, campaign_id=campaign.id,
        risk_level=risk, department_name=department.name, citizen_name=citizen_name, phone=phone,
        received_on=found_on, notify_department=False))
    case = taken.case
    if risk == "重大":
        case.group_risk = True
    if owner is not None:
        # 谁接访、谁负责: whoever found the problem owns it from the start.
        case.owner_id = owner.id
    phases = await svc.phases_of(session, campaign.id)
    phase = svc.phase_on(phases, found_on)
    session.add(CampaignProblem(
        campaign_id=campaign.id, case_id=case.id, problem_kind=problem_kind, place=place,
        people_involved=people, found_on=found_on, phase=phase.name if phase else None, visit_id=visit_id,
        fingerprint=fingerprint(department.name, found_on, content)))
    await session.flush()
    await session.refresh(case, ["owner", "leader", "department"])
    if risk == "重大":
        await major_risk_alert(session, rt, campaign, case, place=place, people=people, kind=problem_kind,
                               source=source)
    return case


async def major_risk_alert(session: AsyncSession, rt: Runtime, campaign: Campaign, case: Case, *,
                           place: str | None, people: int | None, kind: str, source: str) -> int:
    text = texts.MAJOR_RISK.format(campaign=campaign.name, dept=case.department.name, source=source,
                                   number=case.number, title=case.title, place=place or "—",
                                   people=people if people is not None else "—", kind=kind)
    receivers: dict[int, Person] = {}
    cd = await svc.participation(session, campaign.id, case.department_id)
    if cd is not None and cd.leader is not None:
        receivers[cd.leader.id] = cd.leader
    for person in await svc.lead_office_people(session, campaign):
        receivers.setdefault(person.id, person)
    return await notify_people(session, rt, receivers.values(), kind="campaign_risk", text=text, case_id=case.id, case=case,
                               dedupe_key=f"campaign_risk:{case.id}",
                               fields={"number": case.number, "content": text[:200]})


async def department_for(session: AsyncSession, rt: Runtime, campaign: Campaign, person: Person,
                         content: str) -> Department | None:
    """The registering officer's department when it takes part, else the department the rules
    route the problem to, when that one takes part."""
    if await svc.participation(session, campaign.id, person.department_id) is not None:
        return person.department
    name = rt.categoriser.categorise(content).department
    dept = await department_named(session, name, create=False)
    if dept is not None and await svc.participation(session, campaign.id, dept.id) is not None:
        return dept
    return None


async def chat_register(session: AsyncSession, rt: Runtime, person: Person, *, content: str, place: str | None,
                        people: int | None, risk: str, problem_kind: str, source: str = "排查",
                        visit_id: int | None = None) -> Outcome:
    now = await svc.current(session, rt)
    if now is None:
        return _fail("no_campaign")
    dept = await department_for(session, rt, now.campaign, person, content)
    if dept is None:
        return _fail("not_participating")
    case = await register_problem(session, rt, now.campaign, content=content, department=dept, risk=risk,
                                  problem_kind=problem_kind, actor=Actor.of(person), place=place, people=people,
                                  owner=person, source=source, visit_id=visit_id)
    return Outcome(True, "", case, {"department": dept.name, "campaign": now.campaign.name,
                                    "due": workflow.fmt_date(rt, case.ack_due_at)})


# ---- visits --------------------------------------------------------------------------------------

async def add_visit(
    session: AsyncSession, rt: Runtime, campaign: Campaign, *, leader: Any, day: Any, start: str, end: str,
    place: str, form: str, department: str | None = None, cases: list[str] | None = None, slots: int = 10,
    companions: list[Any] | None = None, scope: str | None = None,
) -> CampaignVisit:
    """A visit is a one-off reception session of a 下访 form; a 带案下访 names the cases it carries
    (they join the campaign if they were not in it)."""
    if form not in VISIT_FORMS:
        raise svc.CampaignError(f"form {form!r} not one of {', '.join(VISIT_FORMS)}")
    try:
        s = await reception_service.define_session(
            session, rt, leader=leader, on_date=day, start=start, end=end, place=place, form=form, slots=slots,
            companions=companions, scope=scope)
    except reception_service.SessionError as exc:
        raise svc.CampaignError(str(exc)) from exc
    carried: list[int] = []
    for number in cases or []:
        case = await session.scalar(select(Case).where(Case.number == number.strip().upper()))
        if case is None:
            raise svc.CampaignError(f"case {number} not found")
        if case.campaign_id is None:
            case.campaign_id = campaign.id
        carried.append(case.id)
    if form == "带案下访" and not carried:
        raise svc.CampaignError("a 带案下访 carries at least one case (--case)")
    dept = await department_named(session, department, create=False) if department else None
    visit = CampaignVisit(campaign_id=campaign.id, reception_session_id=s.id, department_id=dept.id if dept else None,
                          day=s.on_date, form=form, case_ids=carried, new_case_ids=[], closed_case_ids=[],
                          created_at=rt.now())
    session.add(visit)
    await session.flush()
    return visit


async def visits_of(session: AsyncSession, campaign_id: int) -> list[CampaignVisit]:
    return list(await session.scalars(
        select(CampaignVisit).where(CampaignVisit.campaign_id == campaign_id).order_by(CampaignVisit.day,
                                                                                       CampaignVisit.id)))


async def visit_for(session: AsyncSession, person: Person, visit_id: int) -> CampaignVisit | None:
    """A visit the person may record: its leader, its companions, staff of its department or of a
    carried case's department, and 督查室."""
    visit = await session.get(CampaignVisit, visit_id)
    if visit is None:
        return None
    if person.role in SEE_ALL_ROLES:
        return visit
    s = await session.get(reception_service.ReceptionSession, visit.reception_session_id)
    if s is not None and (s.leader_id == person.id or person.id in (s.companion_ids or [])):
        return visit
    if person.department_id is not None and person.department_id == visit.department_id:
        return visit
    for case_id in visit.case_ids or []:
        case = await session.get(Case, case_id)
        if case is not None and can_see(person, case):
            return visit
    return None


async def visit_place(session: AsyncSession, visit: CampaignVisit) -> str:
    """Where the visit's reception session takes place ("" if the session is gone)."""
    s = await session.get(reception_service.ReceptionSession, visit.reception_session_id)
    return s.place if s is not None else ""


async def close_on_the_spot(session: AsyncSession, rt: Runtime, person: Person, case: Case, result: str) -> Outcome:
    """Accept (if still registered) and resolve in one go: the problem was settled at the visit."""
    if can(case, "accept"):
        accepted = await workflow.accept(session, rt, case, person)
        if not accepted.ok:
            return accepted
    return await workflow.resolve(session, rt, case, person, result)


async def record_visit(
    session: AsyncSession, rt: Runtime, person: Person, visit: CampaignVisit, *, people_met: int,
    new_problems: list[str], closed: list[tuple[Case, str]], risk: str = "一般",
) -> Outcome:
    """下访记录: people met, new problems (→ 下访 cases), cases closed on the spot."""
    campaign = await session.get(Campaign, visit.campaign_id)
    assert campaign is not None
    new_ids: list[int] = []
    for content in new_problems:
        dept = None
        if visit.department_id is not None:
            dept = await session.get(Department, visit.department_id)
        dept = dept or await department_for(session, rt, campaign, person, content)
        if dept is None:
            return _fail("not_participating")
        case = await register_problem(session, rt, campaign, content=content, department=dept, risk=risk,
                                      problem_kind="下访发现", actor=Actor.of(person), owner=person, source="下访",
                                      found_on=visit.day, visit_id=visit.id)
        new_ids.append(case.id)
    closed_ids: list[int] = []
    failed: list[tuple[str, str]] = []
    for case, result in closed:
        if case.campaign_id is None:
            case.campaign_id = campaign.id
        outcome = await close_on_the_spot(session, rt, person, case, result)
        if outcome.ok:
            closed_ids.append(case.id)
            await record(session, rt, case, action="visit_closed", actor=Actor.of(person), public=False,
                         text=f"下访当场化解（场次{visit.id}）", data={"visit_id": visit.id})
        else:
            failed.append((case.number, outcome.reason))
    visit.people_met = people_met
    visit.new_case_ids = list(dict.fromkeys([*(visit.new_case_ids or []), *new_ids]))
    visit.closed_case_ids = list(dict.fromkeys([*(visit.closed_case_ids or []), *closed_ids]))
    visit.recorded_at = rt.now()
    visit.recorded_by_id = person.id
    await session.flush()
    return Outcome(True, "", None, {"new": new_ids, "closed": closed_ids, "failed": failed})


# ---- 三问 suggestions -----------------------------------------------------------------------------

async def suggestions_open(session: AsyncSession, rt: Runtime) -> svc.Current | None:
    """The campaign taking suggestions now (one in its 集中下访 phase), if any."""
    for now in await svc.running(session, rt):
        if now.phase is not None and now.phase.name == SUGGESTION_PHASE:
            return now
    return None


async def submit_suggestion(session: AsyncSession, rt: Runtime, openid: str, content: str) -> Outcome:
    now = await suggestions_open(session, rt)
    if now is None:
        return _fail("no_suggestions")
    decision = dataclasses.replace(rt.categoriser.categorise(content), kind=SUGGESTION_KIND)
    case = (await take_in(session, rt, Intake(
        content=content, source="wechat", actor=Actor.citizen(openid), openid=openid, campaign_id=now.campaign.id,
        decision=decision, notify_department=False))).case
    suggestion = CampaignSuggestion(campaign_id=now.campaign.id, case_id=case.id, openid=openid,
                                    created_at=rt.now())
    session.add(suggestion)
    await session.flush()
    await session.refresh(case, ["department"])
    cd = await svc.participation(session, now.campaign.id, case.department_id)
    receivers = await svc.people_service.people_of_department(session, case.department_id, ("staff",))
    if not receivers and cd is None:
        receivers = await svc.lead_office_people(session, now.campaign)
    text = texts.SUGGESTION_RECEIVED.format(campaign=now.campaign.name, number=case.number, title=case.title)
    await notify_people(session, rt, receivers, kind="campaign_suggestion", text=text, case_id=case.id, case=case,
                        fields={"number": case.number, "content": text[:200]})
    return Outcome(True, "", case, {"campaign": now.campaign.name, "department": case.department.name})


async def find_suggestion(session: AsyncSession, ref: str) -> CampaignSuggestion | None:
    ref = ref.strip().upper()
    if (suggestion_id := parse_number(ref)) is not None:
        return await session.get(CampaignSuggestion, suggestion_id)
    case = await session.scalar(select(Case).where(Case.number == ref))
    if case is None:
        return None
    return await session.scalar(select(CampaignSuggestion).where(CampaignSuggestion.case_id == case.id))


async def answer_suggestion(session: AsyncSession, rt: Runtime, person: Person, ref: str, adoption: str,
                            answer: str) -> Outcome:
    """答复建议: mark 采纳/部分采纳/留作参考, resolve its case and tell the citizen."""
    if adoption not in ADOPTIONS:
        return _fail("bad_adoption")
    if not answer.strip():
        return _fail("text_required")
    suggestion = await find_suggestion(session, ref)
    case = await session.get(Case, suggestion.case_id) if suggestion is not None else None
    if suggestion is None or case is None or not can_see(person, case):
        return _fail("not_found")
    if suggestion.adoption is not None:
        return _fail("already_answered", case, adoption=suggestion.adoption)
    campaign = await session.get(Campaign, suggestion.campaign_id)
    assert campaign is not None
    actor = Actor.of(person)
    now = rt.now()
    if can(case, "accept"):
        case.accepted_at = now
        case.resolve_due_at = Calendar.from_settings(rt.settings).add_days(now, RESOLVE_DAYS)
        if case.owner_id is None:
            case.owner_id = person.id
        await record(session, rt, case, action="accept", actor=actor, transition=True, public=False)
    if not can(case, "resolve"):
        return _fail("status", case, status=case.status)
    result = f"{adoption}：{answer}"
    case.result = result
    case.resolved_at = now
    await record(session, rt, case, action="resolve", actor=actor, text=result, transition=True,
                 data={"adoption": adoption})
    suggestion.adoption = adoption
    suggestion.answer = answer
    suggestion.answered_at = now
    suggestion.answered_by_id = person.id
    text = texts.SUGGESTION_ANSWER.format(campaign=campaign.name, number=case.number, adoption=adoption,
                                          answer=answer)
    await notify(session, rt, openid=suggestion.openid, kind="suggestion_answer", text=text, case_id=case.id,
                 fields={"number": case.number, "adoption": adoption, "content": answer[:200]})
    await session.flush()
    return Outcome(True, "", case, {"adoption": adoption})


async def suggestions_of(session: AsyncSession, campaign_id: int) -> list[CampaignSuggestion]:
    return list(await session.scalars(
        select(CampaignSuggestion).where(CampaignSuggestion.campaign_id == campaign_id).order_by(CampaignSuggestion.id)))


# ---- 回头看 ---------------------------------------------------------------------------------------

async def review_case(session: AsyncSession, rt: Runtime, person: Person, case: Case, result: str,
                      note: str) -> Outcome:
    """回头看 verdict on a resolved campaign case; 反弹 reopens it (back to 办理中, new deadline)."""
    if case.campaign_id is None:
        return _fail("not_campaign", case)
    if result not in REVIEW_RESULTS:
        return _fail("bad_result", case)
    if case.status not in svc.RESOLVED:
        return _fail("status", case, status=case.status)
    if result == "反弹" and not note.strip():
        return _fail("reason_required", case)
    session.add(CampaignReview(campaign_id=case.campaign_id, case_id=case.id, result=result,
                               note=note or None, at=rt.now(), by_id=person.id))
    await record(session, rt, case, action="campaign_review", actor=Actor.of(person), public=False,
                 text=f"回头看：{result}{('，' + note) if note else ''}", data={"result": result})
    if result == "反弹":
        # The reviewing officer may be plain staff: the reopening is the campaign's rule, not a
        # supervisor's decision, so it is recorded as the system acting on the review above.
        reopened = await workflow.reopen(session, rt, case, actor=Actor.system(),
                                         reason=texts.REVIEW_REOPENED.format(note=note))
        if not reopened.ok:
            return reopened
    await session.flush()
    return Outcome(True, "", case, {"result": result})


async def review_candidates(session: AsyncSession, campaign_id: int) -> list[Case]:
    """Resolved campaign problem cases without a 回头看 verdict yet."""
    reviewed = {r.case_id for r in await svc.reviews_of(session, campaign_id)}
    return [c for c in await svc.problem_cases(session, campaign_id)
            if c.status in svc.RESOLVED and c.id not in reviewed]
