"""Per-openid limits on what one person can pile up: unfiled draft attachments and new cases per hour.

A report is chat, so anyone can send thousands of messages; each filed case costs staff time and a
group-risk lookup, and each draft photo costs a download and disk. The limits are settings
(``max_cases_per_hour``, ``max_draft_attachments``); reaching one gets a clear answer and loses
nothing — the draft stays as it is, to be confirmed later.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage.models import Attachment, Case

HOUR = timedelta(hours=1)


async def cases_filed_last_hour(session: AsyncSession, rt: Runtime, openid: str) -> int:
    """The person's cases registered in the last hour (index ix_cases_citizen_registered)."""
    return int(await session.scalar(select(func.count()).select_from(Case).where(
        Case.citizen_openid == openid, Case.registered_at > rt.now() - HOUR)) or 0)


async def case_limit_reached(session: AsyncSession, rt: Runtime, openid: str) -> bool:
    limit = rt.settings.max_cases_per_hour
    return limit > 0 and await cases_filed_last_hour(session, rt, openid) >= limit


async def draft_attachments_full(session: AsyncSession, rt: Runtime, openid: str) -> bool:
    """Has the person as many attachments waiting for a report (no case yet) as allowed?"""
    limit = rt.settings.max_draft_attachments
    if limit <= 0:
        return False
    count = await session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.openid == openid, Attachment.case_id.is_(None)))
    return int(count or 0) >= limit
