"""A leader's reach (§1): which cases a leader may open (详情) and act on (包案, 督办, 确认办结, 现场办结).

Beyond what staff see (their department's cases, cases they own or hold), a leader reaches every
case booked on one of his reception lists and every case carried on one of his visit plans
(带案下访); a leader of the whole county — whose department is the county committee or government,
or who was added with ``people add --scope all`` — reaches every case. Reception lists and visit
plans need the database, so this check is async; ``case_policy.can_see`` stays the quick one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, Person
from storage.models.campaign import CampaignVisit
from storage.models.reception import ReceptionBooking, ReceptionSession

SCOPE_ALL = "all"
# Departments whose leaders lead the whole county (县委书记, 县长 …).
COUNTY_DEPARTMENTS = ("县委", "县政府", "县人民政府", "县委办公室", "县政府办公室")


def county_wide(person: Person | None) -> bool:
    if person is None or not person.active or person.role != "leader":
        return False
    if (person.scope or "") == SCOPE_ALL:
        return True
    name = person.department.name if person.department else ""
    return name in COUNTY_DEPARTMENTS or name.endswith(("县委", "县人民政府", "县政府"))


async def carried_by(session: AsyncSession, person: Person, case: Case) -> bool:
    """The case is on one of the leader's reception lists or visit plans."""
    booked = await session.scalar(
        select(ReceptionBooking.id).join(ReceptionSession, ReceptionSession.id == ReceptionBooking.session_id)
        .where(ReceptionSession.leader_id == person.id, ReceptionBooking.case_id == case.id,
               ReceptionBooking.status.in_(("booked", "attended"))).limit(1))
    if booked is not None:
        return True
    visits = await session.scalars(
        select(CampaignVisit.case_ids).join(ReceptionSession,
                                            ReceptionSession.id == CampaignVisit.reception_session_id)
        .where(ReceptionSession.leader_id == person.id))
    return any(case.id in (ids or []) for ids in visits)


async def reaches(session: AsyncSession, person: Person | None, case: Case) -> bool:
    """A leader's reach beyond ``can_see``: county-wide, or the case is on his lists."""
    if person is None or not person.active or person.role != "leader":
        return False
    return county_wide(person) or await carried_by(session, person, case)
