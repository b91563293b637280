"""A small office for the staff tests: departments, bound staff / leader / supervisor, one citizen case.

People are created through the service (as ``xinfang people add`` does) and bind themselves by
sending ``绑定 <code>`` through the fake platform, like real staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.services import people
from storage.models import Case, CaseEvent, OutboxMessage
from tests.harness import Service

COMPLAINT = "我们小区物业乱收费，物业公司强制收取停车管理费，投诉多次没人管"
OTHER_DEPT = "住建局"
CASE_NUMBER = re.compile(r"XF\d{8}-\d{4}")


@dataclass
class Office:
    svc: Service
    dept: str
    openids: dict[str, str] = field(default_factory=dict)

    async def say(self, who: str, text: str) -> str:
        return await self.svc.say(self.openids.get(who, who), text)

    def openid(self, who: str) -> str:
        return self.openids[who]


async def build_office(svc: Service) -> Office:
    """staff/leader of the department a property complaint routes to, staff of another department
    (``other``, also the transfer target), and a supervisor; all bound through chat."""
    dept = svc.rt.categoriser.categorise(COMPLAINT).department
    office = Office(svc, dept)
    roster = [("staff", "staff", dept, "科员"), ("staff2", "staff", dept, None), ("leader", "leader", dept, "局长"),
              ("other", "staff", OTHER_DEPT, None), ("supervisor", "supervisor", "督查室", None)]
    codes = {}
    async with svc.rt.sessions() as session, session.begin():
        for key, role, department, title in roster:
            _, codes[key] = await people.create_person(session, svc.rt, name=f"{key}-name", role=role,
                                                       department=department, title=title)
    for key, *_ in roster:
        office.openids[key] = f"o-{key}"
        reply = await office.say(key, f"绑定 {codes[key]}")
        assert "绑定成功" in reply, reply
    office.openids["citizen"] = "o-citizen"
    office.openids["citizen2"] = "o-citizen2"
    return office


async def file_complaint(office: Office, who: str = "citizen", text: str = COMPLAINT) -> str:
    """The citizen reports through the chat flow; returns the case number."""
    reply = await office.say(who, text)
    for _ in range(4):
        match = CASE_NUMBER.search(reply)
        if match:
            return match.group(0)
        reply = await office.say(who, "确认" if "确认" in reply and "跳过" not in reply else "跳过")
    raise AssertionError(f"no case number in {reply!r}")


async def get_case(svc: Service, number: str) -> Case:
    async with svc.rt.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


async def actions(svc: Service, number: str) -> list[str]:
    async with svc.rt.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        rows = await session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)
                                     .order_by(CaseEvent.id))
        return list(rows)


async def outbox_for(svc: Service, openid: str) -> list[OutboxMessage]:
    async with svc.rt.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.openid == openid)
                                          .order_by(OutboxMessage.id)))


async def snapshot(svc: Service) -> tuple:
    """Everything a command could change: cases, events, outbox."""
    async with svc.rt.sessions() as session:
        cases = [(c.id, c.status, c.department_id, c.owner_id, c.leader_id, c.category, c.resolve_due_at,
                  c.ack_due_at, c.extension_days, c.leader_confirmed_at, c.result)
                 for c in await session.scalars(select(Case).order_by(Case.id))]
        events = list(await session.scalars(select(CaseEvent.id)))
        outbox = list(await session.scalars(select(OutboxMessage.id)))
    return cases, len(events), len(outbox)
