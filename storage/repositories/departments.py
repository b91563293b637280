"""Department look-ups by name (rules route by name; rows are created on first use)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Department


async def department_named(session: AsyncSession, name: str, *, create: bool = True) -> Department | None:
    dept = await session.scalar(select(Department).where(Department.name == name))
    if dept is None and create:
        dept = Department(name=name)
        session.add(dept)
        await session.flush()
    return dept


async def all_departments(session: AsyncSession) -> list[Department]:
    return list(await session.scalars(select(Department).order_by(Department.name)))
