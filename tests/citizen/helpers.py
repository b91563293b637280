"""Shared steps for the citizen tests: people in the database, a full report, reading cases back."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Case, Department, OutboxMessage, Person
from tests.harness import Service


async def add_person(service: Service, *, name: str, role: str, openid: str, department: str | None = None) -> int:
    async with service.rt.sessions() as session, session.begin():
        dept_id = None
        if department:
            dept = await session.scalar(select(Department).where(Department.name == department))
            if dept is None:
                dept = Department(name=department)
                session.add(dept)
                await session.flush()
            dept_id = dept.id
        person = Person(name=name, role=role, openid=openid, department_id=dept_id, active=True,
                        created_at=service.clock.now())
        session.add(person)
        await session.flush()
        return person.id


async def report(service: Service, openid: str, text: str, *, place: str = "跳过", phone: str = "跳过") -> str:
    """The plain text path of a report; returns the confirmation reply."""
    await service.say(openid, text)
    await service.say(openid, place)
    await service.say(openid, phone)
    return await service.say(openid, "确认")


async def cases_of(service: Service, openid: str | None = None) -> list[Case]:
    async with service.rt.sessions() as session:
        stmt = select(Case).order_by(Case.id)
        if openid is not None:
            stmt = stmt.where(Case.citizen_openid == openid)
        return list((await session.scalars(stmt)).unique())


async def outbox(service: Service, kind: str | None = None) -> list[OutboxMessage]:
    async with service.rt.sessions() as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return list(await session.scalars(stmt))
