"""Counts for the metrics endpoint: outbox messages by status, open cases by overdue or not.

Two grouped queries over indexed columns; cheap enough to run on every scrape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, OutboxMessage


async def outbox_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {str(status): int(n) for status, n in rows.all()}


async def open_case_counts(session: AsyncSession, now: datetime, *, ack_statuses: Sequence[str],
                           resolve_statuses: Sequence[str]) -> dict[bool, int]:
    """{overdue: count} for open cases (those in ``ack_statuses`` or ``resolve_statuses``); overdue =
    the deadline whose clock runs in the case's status has passed."""
    overdue = or_(and_(Case.status.in_(ack_statuses), Case.ack_due_at < now),
                  and_(Case.status.in_(resolve_statuses), Case.resolve_due_at < now))
    flag = case((overdue, True), else_=False)
    open_statuses = [*ack_statuses, *resolve_statuses]
    rows = await session.execute(select(flag, func.count()).where(Case.status.in_(open_statuses)).group_by(flag))
    counts = {False: 0, True: 0}
    for is_overdue, n in rows.all():
        counts[bool(is_overdue)] += int(n)
    return counts
