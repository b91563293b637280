"""What a citizen can see and add to: their own cases (查询), one case's public timeline
(查询 <编号>), supplementary material (补充 <编号>) passed on to whoever handles the case, and the
case a rating is for. The 补充 conversation is ``handlers.flows.supplement``; it calls these.

A citizen only ever sees their own cases; asking for someone else's number gets the same answer
as a number that does not exist. Staff appear in the timeline as role + department, never by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import case_policy as policy
from bot.case_policy import SUPPLEMENTABLE_STATUSES, running_deadline, status_label
from bot.outbox import notify_people
from bot.runtime import Runtime
from bot.services.case_queries import parse_number
from bot.services.cases import Actor, record
from storage.models import Attachment, Case, Department, Person
from storage.repositories.cases import (
    active_people,
    citizen_case,
    citizen_cases,
    latest_unrated_case,
    people_by_ids,
    public_events,
)

__all__ = ["CaseLine", "CaseView", "TimelineEntry", "add_material", "case_view", "citizen_case", "my_cases",
           "own_case", "parse_number", "supplement_target", "unrated_case"]

MAX_SUPPLEMENT = 5000

SUPPLEMENT_NOTICE = "群众对 {number}（{title}）补充了材料：{what}\n发送“详情 {number}”查看。"


@dataclass(frozen=True)
class CaseLine:
    number: str
    title: str
    status: str  # label
    deadline_kind: str | None  # ack / resolve / review
    deadline: date | None
    awaiting_rating: bool


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime  # local time
    action: str
    actor_role: str
    actor_department: str | None
    text: str | None


@dataclass(frozen=True)
class CaseView:
    number: str
    title: str
    status: str
    category: str
    department: str
    deadline_kind: str | None
    deadline: date | None
    entries: list[TimelineEntry]


def next_deadline(case: Case) -> tuple[str | None, datetime | None]:
    return running_deadline(case)


async def my_cases(session: AsyncSession, rt: Runtime, openid: str) -> list[CaseLine]:
    lines = []
    for case in await citizen_cases(session, openid):
        kind, due = next_deadline(case)
        lines.append(CaseLine(case.number, case.title, status_label(case.status), kind,
                              due.astimezone(rt.tz).date() if due else None,
                              case.status == policy.RESOLVED and case.satisfaction is None))
    return lines


async def case_view(session: AsyncSession, rt: Runtime, openid: str, number: str) -> CaseView | None:
    case = await citizen_case(session, openid, number)
    if case is None:
        return None
    events = await public_events(session, case.id)
    people = await people_by_ids(session, [e.actor_id for e in events if e.actor_id])
    dept_ids = {p.department_id for p in people.values() if p.department_id}
    departments = {d_id: (await session.get(Department, d_id)) for d_id in dept_ids}
    entries = []
    for e in events:
        person = people.get(e.actor_id) if e.actor_id else None
        dept = departments.get(person.department_id) if person and person.department_id else None
        # Citizen-visible text: staff messages and results; the citizen's own words are not repeated.
        text = e.text if e.actor_role != "citizen" or e.action in ("supplement", "rate") else None
        entries.append(TimelineEntry(e.at.astimezone(rt.tz), e.action, e.actor_role,
                                     dept.name if dept else None, text))
    kind, due = next_deadline(case)
    own_dept = await session.get(Department, case.department_id) if case.department_id else None
    return CaseView(case.number, case.title, status_label(case.status), case.category,
                    own_dept.name if own_dept else "待分办", kind,
                    due.astimezone(rt.tz).date() if due else None, entries)


# ---- 补充 ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SupplementTarget:
    """The case a 补充 is for, or why there is none (``problem``: a reply key)."""

    case: Case | None
    problem: str | None = None
    status: str = ""  # the case's status label, for "case_not_open"


async def supplement_target(session: AsyncSession, openid: str, number: str) -> SupplementTarget:
    """The citizen's own case ``number`` if it still takes material."""
    case = await citizen_case(session, openid, number)
    if case is None:
        return SupplementTarget(None, "case_not_found")
    if case.status not in SUPPLEMENTABLE_STATUSES:
        return SupplementTarget(case, "case_not_open", status_label(case.status))
    return SupplementTarget(case)


async def own_case(session: AsyncSession, openid: str, case_id: int | None) -> Case | None:
    """The case with ``case_id`` if ``openid`` filed it (a flow's remembered case), else None."""
    case = await session.get(Case, case_id or 0)
    return case if case is not None and case.citizen_openid == openid else None


async def unrated_case(session: AsyncSession, openid: str) -> Case | None:
    """The citizen's most recently resolved case still waiting for a rating."""
    return await latest_unrated_case(session, openid, status=policy.RESOLVED)


async def add_material(
    session: AsyncSession, rt: Runtime, case: Case, openid: str, *, text: str | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Log the material on the case and tell the owner and the assignee department's staff."""
    if attachment is not None:
        attachment.case_id = case.id
        text = attachment.recognition or text
        what = {"image": "图片", "voice": "语音", "video": "视频"}.get(attachment.kind, "附件")
        what = f"{what}（{text}）" if text else what
    else:
        text = (text or "")[:MAX_SUPPLEMENT]
        what = text[:200]
    event = await record(session, rt, case, action="supplement", actor=Actor.citizen(openid), text=text,
                         data={"attachment_id": attachment.id if attachment else None})
    recipients: dict[int, Person] = {}
    for person_id in (case.owner_id, case.leader_id):
        person = await session.get(Person, person_id) if person_id else None
        if person is not None:
            recipients[person.id] = person
    if case.department_id:
        for person in await active_people(session, roles=("staff",), department_id=case.department_id):
            recipients.setdefault(person.id, person)
    notice = SUPPLEMENT_NOTICE.format(number=case.number, title=case.title, what=what)
    await notify_people(session, rt, recipients.values(), kind="supplement", text=notice, case_id=case.id, case=case,
                        dedupe_key=f"supplement:{event.id}")
