"""Outbox inserts: plain messages, and once-only notifications keyed by their dedupe key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage


async def insert_message(
    session: AsyncSession, *, openid: str, kind: str, text: str, now: datetime,
    fields: dict[str, Any] | None = None, case_id: int | None = None, dedupe_key: str | None = None,
) -> bool:
    """Queue a message; with ``dedupe_key`` a second insert of the same key is a no-op (returns False)."""
    values = dict(openid=openid, kind=kind, text=text, fields=fields or {}, case_id=case_id,
                  dedupe_key=dedupe_key, status="pending", attempts=0, next_attempt_at=now, created_at=now)
    if dedupe_key is None:
        session.add(OutboxMessage(**values))
        await session.flush()
        return True
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
    result = await session.execute(stmt)
    return bool(result.rowcount)
