"""Per-day case number sequence, incremented atomically on both SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseSequence


async def next_in_sequence(session: AsyncSession, day: str) -> int:
    """Atomic upsert-and-return: concurrent transactions never get the same number."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CaseSequence).values(day=day, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CaseSequence.day], set_={"last": CaseSequence.last + 1}
    ).returning(CaseSequence.last)
    return int((await session.execute(stmt)).scalar_one())
