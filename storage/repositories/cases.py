"""Case queries, named for the question they answer. They never commit.

Several services add functions here (citizen reporting, staff work, sweeps); keep additions
self-contained so the file stays a list of independent questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attachment, Case, CaseEvent, Person


async def case_by_number(session: AsyncSession, number: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.number == number.strip().upper()))


async def citizen_case(session: AsyncSession, openid: str, number: str) -> Case | None:
    """The case numbered ``number`` if ``openid`` filed it; None otherwise (same answer as missing)."""
    return await session.scalar(
        select(Case).where(Case.number == number.strip().upper(), Case.citizen_openid == openid)
    )


async def citizen_cases(session: AsyncSession, openid: str, *, limit: int = 10) -> list[Case]:
    """A citizen's cases, newest first."""
    stmt = (select(Case).where(Case.citizen_openid == openid)
            .order_by(Case.registered_at.desc(), Case.id.desc()).limit(limit))
    return list(await session.scalars(stmt))


async def citizen_open_or_recent_cases(
    session: AsyncSession, openid: str, *, open_statuses: Sequence[str], since: datetime,
    exclude_id: int | None = None,
) -> list[Case]:
    """The citizen's cases in ``open_statuses`` plus those registered since ``since`` (candidates
    for 重信重访)."""
    stmt = select(Case).where(
        Case.citizen_openid == openid,
        or_(Case.status.in_(list(open_statuses)), Case.registered_at >= since),
    )
    if exclude_id is not None:
        stmt = stmt.where(Case.id != exclude_id)
    return list(await session.scalars(stmt.order_by(Case.registered_at.desc())))


async def phone_open_or_recent_cases(
    session: AsyncSession, phone: str, *, open_statuses: Sequence[str], since: datetime,
    exclude_id: int | None = None,
) -> list[Case]:
    """Cases with this phone number in ``open_statuses`` or registered since ``since`` (重信重访
    candidates for a visit, letter or call registered by staff, which has no openid)."""
    stmt = select(Case).where(
        Case.phone == phone,
        or_(Case.status.in_(list(open_statuses)), Case.registered_at >= since),
    )
    if exclude_id is not None:
        stmt = stmt.where(Case.id != exclude_id)
    return list(await session.scalars(stmt.order_by(Case.registered_at.desc())))


async def recent_report_texts(
    session: AsyncSession, *, since: datetime, exclude_id: int | None = None,
) -> list[Any]:
    """Text and place of the cases registered since ``since`` from identified citizens (the
    group-risk window), as light rows (id, content, location_text, latitude, longitude): a burst
    after an incident brings hundreds, and only the few that match are loaded as cases."""
    stmt = select(Case.id, Case.content, Case.location_text, Case.latitude, Case.longitude).where(
        Case.registered_at >= since, Case.citizen_openid.is_not(None))
    if exclude_id is not None:
        stmt = stmt.where(Case.id != exclude_id)
    return list((await session.execute(stmt)).all())


async def cases_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Case]:
    """The cases with these ids, oldest registration first."""
    if not ids:
        return []
    return list(await session.scalars(select(Case).where(Case.id.in_(list(ids))).order_by(Case.registered_at)))


async def latest_unrated_case(session: AsyncSession, openid: str, *, status: str) -> Case | None:
    """The citizen's most recently resolved case in ``status`` still waiting for a rating."""
    stmt = (select(Case).where(Case.citizen_openid == openid, Case.status == status,
                               Case.satisfaction.is_(None))
            .order_by(Case.resolved_at.desc().nulls_last(), Case.id.desc()).limit(1))
    return await session.scalar(stmt)


async def public_events(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    stmt = (select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.public.is_(True))
            .order_by(CaseEvent.at, CaseEvent.id))
    return list(await session.scalars(stmt))


async def cases_with_event(session: AsyncSession, case_ids: Sequence[int], action: str) -> set[int]:
    """Which of ``case_ids`` have at least one event ``action``."""
    if not case_ids:
        return set()
    stmt = select(CaseEvent.case_id).where(CaseEvent.case_id.in_(list(case_ids)), CaseEvent.action == action)
    return set(await session.scalars(stmt.distinct()))


async def people_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = await session.scalars(select(Person).where(Person.id.in_(list(set(ids)))))
    return {p.id: p for p in rows.unique()}


async def draft_attachments(session: AsyncSession, openid: str, ids: Sequence[int]) -> list[Attachment]:
    """Attachments sent during a report that is not filed yet (no case), in arrival order."""
    if not ids:
        return []
    stmt = select(Attachment).where(Attachment.id.in_(list(ids)), Attachment.openid == openid,
                                    Attachment.case_id.is_(None)).order_by(Attachment.id)
    return list(await session.scalars(stmt))


async def case_attachments(session: AsyncSession, case_id: int) -> list[Attachment]:
    stmt = select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
    return list(await session.scalars(stmt))


async def failed_downloads(session: AsyncSession, *, since: datetime, limit: int = 50) -> list[Attachment]:
    """Image/voice attachments not yet stored whose media may still be fetched (younger than ``since``)."""
    stmt = select(Attachment).where(
        and_(Attachment.stored_path.is_(None), Attachment.media_id.is_not(None),
             Attachment.kind.in_(("image", "voice")), Attachment.created_at >= since)
    ).order_by(Attachment.id).limit(limit)
    return list(await session.scalars(stmt))


async def active_people(
    session: AsyncSession, *, roles: Sequence[str], department_id: int | None = None,
) -> list[Person]:
    """Active, bound people with one of ``roles`` (optionally of one department)."""
    stmt = select(Person).where(Person.role.in_(list(roles)), Person.active.is_(True),
                                Person.openid.is_not(None))
    if department_id is not None:
        stmt = stmt.where(Person.department_id == department_id)
    return list((await session.scalars(stmt.order_by(Person.id))).unique())
