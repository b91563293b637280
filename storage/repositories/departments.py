"""Department look-ups by name (rules route by name; rows are created on first use)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Department


async def department_named(session: AsyncSession, name: str, *, create: bool = True) -> Department | None:
    """The department called ``name``; with ``create``, made on first use, safely under concurrency
    (a conflict-ignoring insert waits for a concurrent creator instead of failing on the unique name)."""
    dept = await session.scalar(select(Department).where(Department.name == name))
    if dept is None and create:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(insert(Department).values(name=name, is_triage=False, is_supervision=False)
                              .on_conflict_do_nothing(index_elements=[Department.name]))
        dept = await session.scalar(select(Department).where(Department.name == name))
    return dept


async def all_departments(session: AsyncSession) -> list[Department]:
    return list(await session.scalars(select(Department).order_by(Department.name)))
