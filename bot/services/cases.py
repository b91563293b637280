"""Case workflow core: numbering, filing, the status machine and the append-only event log.

Every write to a case goes through ``record`` (which appends the event); services built on top
(citizen reporting, staff actions, jobs) add their messages through ``bot.outbox`` in the same
transaction. Nothing here commits: the caller owns the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import case_policy as policy
from bot.case_policy import ACK_DAYS, TRANSITIONS
from bot.runtime import Runtime
from bot.services.calendar import Calendar
from nlp import Decision
from storage.models import Attachment, Case, CaseEvent, Person
from storage.repositories.departments import department_named
from storage.repositories.sequences import next_in_sequence

TITLE_MAX = 30

NEW_CASE_NOTICE = (
    "【新件】{number} {title}\n类别：{category}（{group}）\n受理期限：{ack_due}\n"
    "发送“详情 {number}”查看，“受理 {number}”受理。"
)

@dataclass(frozen=True)
class Actor:
    """Who did something to a case, as the event log records it."""

    role: str
    person_id: int | None = None
    openid: str | None = None

    @classmethod
    def citizen(cls, openid: str | None) -> Actor:
        return cls("citizen", None, openid)

    @classmethod
    def of(cls, person: Person) -> Actor:
        return cls(person.role, person.id, person.openid)

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


def can(case: Case, action: str) -> bool:
    """May ``case`` take ``action`` now (``bot.case_policy.TRANSITIONS``)?"""
    return policy.can(case.status, action)


def make_title(content: str) -> str:
    """First sentence, at most 30 characters."""
    text = " ".join(content.split())
    for stop in "。！？!?；;\n":
        cut = text.find(stop)
        if 0 < cut:
            text = text[:cut]
    return text[:TITLE_MAX] or "（无标题）"


async def record(
    session: AsyncSession, rt: Runtime, case: Case, *, action: str, actor: Actor,
    text: str | None = None, data: dict[str, Any] | None = None, public: bool = True,
    transition: bool = False,
) -> CaseEvent:
    """Append an event; with ``transition=True`` also move the case along ``TRANSITIONS[action]``.

    Callers check ``can(case, action)`` first and answer the person; reaching here with an
    impossible transition is a bug, so it raises.
    """
    now = rt.now()
    from_status = case.status
    to_status = None
    if transition:
        allowed, to_status = TRANSITIONS[action]
        if case.status not in allowed:
            raise ValueError(f"{action} not allowed from {case.status} on {case.number}")
        case.status = to_status
    case.updated_at = now
    event = CaseEvent(case_id=case.id, at=now, actor_role=actor.role, actor_id=actor.person_id,
                      actor_openid=actor.openid, action=action, from_status=from_status,
                      to_status=to_status, text=text, data=data or {}, public=public)
    session.add(event)
    await session.flush()
    return event


async def allocate_number(session: AsyncSession, rt: Runtime) -> str:
    day = rt.local_now().strftime("%Y%m%d")
    seq = await next_in_sequence(session, day)
    return f"XF{day}-{seq:04d}"


async def file_case(
    session: AsyncSession, rt: Runtime, *, content: str, decision: Decision, actor: Actor,
    openid: str | None = None, source: str = "wechat", location_text: str | None = None,
    latitude: float | None = None, longitude: float | None = None, phone: str | None = None,
    citizen_name: str | None = None, attachments: list[Attachment] | None = None,
    campaign_id: int | None = None, risk_level: str | None = None, department_name: str | None = None,
    received_at: datetime | None = None,
) -> Case:
    """Register a new case (status ``registered``) with its number, routing and first deadline.

    The acknowledgement deadline runs from ``received_at`` (a letter's envelope date) when given,
    else from now; channels call this through ``bot.services.intake.take_in``."""
    now = rt.now()
    calendar = Calendar.from_settings(rt.settings)
    received = received_at if received_at is not None and received_at < now else now
    dept = await department_named(session, department_name or decision.department)
    ack_days = int(decision.deadlines.get("ack_days", ACK_DAYS)) if decision.deadlines else ACK_DAYS
    case = Case(
        number=await allocate_number(session, rt),
        citizen_openid=openid, citizen_name=citizen_name, content=content, title=make_title(content),
        category=decision.category, category_group=decision.group, kind=decision.kind,
        department_id=dept.id if dept else None, score=decision.score,
        keywords=[[k, w] for k, w in decision.keywords], urgent_flags=list(decision.urgent),
        group_risk=bool(decision.urgent), location_text=location_text, latitude=latitude,
        longitude=longitude, phone=phone, source=source, status=policy.REGISTERED, registered_at=now,
        ack_due_at=calendar.add_days(received, ack_days), registered_by_id=actor.person_id,
        campaign_id=campaign_id, risk_level=risk_level, updated_at=now,
        transfer_count=0, review_level=0, reopened_count=0,
    )
    session.add(case)
    await session.flush()
    for attachment in attachments or []:
        attachment.case_id = case.id
    await record(session, rt, case, action="register", actor=actor, text=content,
                 data={"category": case.category, "group": case.category_group,
                       "department": dept.name if dept else None, "source": source,
                       "keywords": case.keywords, "urgent": case.urgent_flags,
                       "received_on": calendar.local_date(received).isoformat()})
    return case


async def notify_new_case(session: AsyncSession, rt: Runtime, case: Case) -> int:
    """Tell the routed department's bound staff that a new case is waiting for them (新件提醒)."""
    from bot.outbox import notify_people
    from storage.repositories.deadline_sweeps import department_staff

    staff = (await department_staff(session, [case.department_id])).get(case.department_id, [])
    due = case.ack_due_at.astimezone(rt.tz).strftime("%Y年%m月%d日") if case.ack_due_at else "—"
    text = NEW_CASE_NOTICE.format(number=case.number, title=case.title, category=case.category,
                                  group=case.category_group, ack_due=due)
    return await notify_people(session, rt, staff, kind="new_case", text=text, case_id=case.id, case=case,
                               dedupe_key=f"new_case:c{case.id}",
                               fields={"case": case.number, "title": case.title, "due": due})
