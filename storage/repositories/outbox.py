"""Outbox inserts (plain messages, and once-only notifications keyed by their dedupe key) and the
sender's lease renewal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
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


async def renew_leases(session: AsyncSession, ids: Iterable[int], *, worker: str, now: datetime,
                       until: datetime) -> int:
    """Extend ``worker``'s unexpired claims on ``ids`` to ``until``; returns how many it still held.

    The fence of the outbox: a row counts as held only while it is ``sending``, claimed by this
    worker and its lease has not run out. Once another sender has taken it over, ``claimed_by``
    names that sender and nothing here touches the row again.
    """
    ids = list(ids)
    if not ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker,
               OutboxMessage.status == "sending", OutboxMessage.next_attempt_at > now)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
