"""Aggregate queries behind the 台账 and the statistics: GROUP BY in the database, never loops over cases.

Periods are half-open ``[start, end)`` in aware UTC; ``as_of`` is "now" for deadlines that have not
yet been met (an unacknowledged case only counts against the on-time rate once its deadline passed).
Everything here runs the same on SQLite and PostgreSQL (no dialect-specific date functions: monthly
buckets are a CASE over precomputed boundaries). Which statuses count as open, finished or under
which deadline clock is case policy, passed in as ``StatusSets`` (``bot.services.statistics``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Case, CaseEvent, Department, Person

# The acknowledgement (受理告知 / 不予受理告知) is the first accept or decline in the event log; the
# log is the one record that survives a reopen, so it is used instead of a column.
ACK_ACTIONS = ("accept", "decline")


@dataclass(frozen=True)
class StatusSets:
    """The policy's status sets the figures filter on (``bot.case_policy``)."""

    open: Sequence[str]  # still being worked on
    resolved: Sequence[str]  # resolved or closed: counted as 办结
    clocks: Mapping[str, Sequence[str]]  # "ack" / "resolve" -> statuses in which that deadline runs


def _overdue(sets: StatusSets, as_of: datetime) -> Any:
    return or_(and_(Case.status.in_(list(sets.clocks["ack"])), Case.ack_due_at < as_of),
               and_(Case.status.in_(list(sets.clocks["resolve"])), Case.resolve_due_at < as_of))


def _in_period(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


def ack_times() -> Any:
    """Subquery: case_id -> time of its first acknowledgement."""
    return (
        select(CaseEvent.case_id.label("case_id"), func.min(CaseEvent.at).label("ack_at"))
        .where(CaseEvent.action.in_(ACK_ACTIONS))
        .group_by(CaseEvent.case_id)
        .subquery("acks")
    )


async def count_registered(session: AsyncSession, start: datetime, end: datetime) -> int:
    stmt = select(func.count(Case.id)).where(_in_period(Case.registered_at, start, end))
    return int(await session.scalar(stmt) or 0)


async def counts_by(session: AsyncSession, key: str, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Cases registered in the period per ``key`` (status / category / group / department / kind / source),
    largest first."""
    columns = {
        "status": Case.status,
        "category": Case.category,
        "group": Case.category_group,
        "kind": Case.kind,
        "source": Case.source,
    }
    if key == "department":
        column: Any = func.coalesce(Department.name, literal("（未分配）"))
        stmt = select(column.label("k"), func.count(Case.id).label("n")).select_from(Case).outerjoin(
            Department, Department.id == Case.department_id)
    else:
        column = columns[key]
        stmt = select(column.label("k"), func.count(Case.id).label("n")).select_from(Case)
    stmt = (stmt.where(_in_period(Case.registered_at, start, end)).group_by(column)
            .order_by(func.count(Case.id).desc(), column))
    return [(str(k), int(n)) for k, n in (await session.execute(stmt)).all()]


async def category_counts(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
    """(group, category, count) for cases registered in the period: the two-level table of §7."""
    stmt = (
        select(Case.category_group, Case.category, func.count(Case.id))
        .where(_in_period(Case.registered_at, start, end))
        .group_by(Case.category_group, Case.category)
        .order_by(Case.category_group, func.count(Case.id).desc(), Case.category)
    )
    return [(str(g), str(c), int(n)) for g, c, n in (await session.execute(stmt)).all()]


@dataclass(frozen=True)
class DepartmentFigures:
    department: str
    registered: int
    resolved: int
    open: int
    overdue: int
    satisfied: int
    rated: int


async def department_figures(
    session: AsyncSession, start: datetime, end: datetime, as_of: datetime, *, sets: StatusSets,
) -> list[DepartmentFigures]:
    """Per department: registered in the period, of which resolved/closed, still open, overdue now."""
    overdue = _overdue(sets, as_of)
    name = func.coalesce(Department.name, literal("（未分配）"))
    stmt = (
        select(
            name,
            func.count(Case.id),
            func.sum(case((Case.status.in_(list(sets.resolved)), 1), else_=0)),
            func.sum(case((Case.status.in_(list(sets.open)), 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((Case.satisfaction.in_((1, 2)), 1), else_=0)),
            func.sum(case((Case.satisfaction.is_not(None), 1), else_=0)),
        )
        .select_from(Case)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(_in_period(Case.registered_at, start, end))
        .group_by(name)
        .order_by(func.count(Case.id).desc(), name)
    )
    return [DepartmentFigures(str(r[0]), *(int(x or 0) for x in r[1:])) for r in (await session.execute(stmt)).all()]


@dataclass(frozen=True)
class Rate:
    """``on_time`` of ``due`` (due = deadline met or already passed); rate is None when nothing was due."""

    on_time: int
    due: int
    late_open: int = 0

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


async def acknowledgement_rate(session: AsyncSession, start: datetime, end: datetime, as_of: datetime) -> Rate:
    """Cases registered in the period: acknowledged by the 受理告知 deadline, over those acknowledged or
    whose deadline has passed unacknowledged."""
    acks = ack_times()
    acked = acks.c.ack_at.is_not(None)
    late_open = and_(acks.c.ack_at.is_(None), Case.ack_due_at < as_of)
    stmt = (
        select(
            func.sum(case((and_(acked, acks.c.ack_at <= Case.ack_due_at), 1), else_=0)),
            func.sum(case((or_(acked, late_open), 1), else_=0)),
            func.sum(case((late_open, 1), else_=0)),
        )
        .select_from(Case)
        .outerjoin(acks, acks.c.case_id == Case.id)
        .where(_in_period(Case.registered_at, start, end))
    )
    row = (await session.execute(stmt)).one()
    return Rate(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


async def resolution_rate(session: AsyncSession, start: datetime, end: datetime, as_of: datetime, *,
                          sets: StatusSets) -> Rate:
    """Cases resolved in the period by their (possibly extended) deadline, over those resolved in the
    period plus accepted cases whose deadline fell in the period and are still unresolved.

    A case reopened after a 不满意 rating is open again: it counts once it is resolved anew (the
    workflow then stamps a new ``resolved_at`` against the review deadline), not for its first result.
    """
    resolved_here = and_(Case.status.in_(list(sets.resolved)), Case.resolved_at.is_not(None),
                         _in_period(Case.resolved_at, start, end))
    late_open = and_(
        Case.status.in_(list(sets.clocks["resolve"])),
        Case.resolve_due_at >= start, Case.resolve_due_at < end, Case.resolve_due_at < as_of,
    )
    stmt = select(
        func.sum(case((and_(resolved_here, Case.resolved_at <= Case.resolve_due_at), 1), else_=0)),
        func.sum(case((or_(resolved_here, late_open), 1), else_=0)),
        func.sum(case((late_open, 1), else_=0)),
    ).where(or_(resolved_here, late_open))
    row = (await session.execute(stmt)).one()
    return Rate(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


async def satisfaction_counts(session: AsyncSession, start: datetime, end: datetime) -> dict[int, int]:
    """Ratings given in the period: 1 满意, 2 基本满意, 3 不满意."""
    stmt = (
        select(Case.satisfaction, func.count(Case.id))
        .where(Case.satisfaction.is_not(None), Case.rated_at.is_not(None), _in_period(Case.rated_at, start, end))
        .group_by(Case.satisfaction)
    )
    return {int(k): int(n) for k, n in (await session.execute(stmt)).all()}


async def count_where(session: AsyncSession, start: datetime, end: datetime, *conditions: Any) -> int:
    stmt = select(func.count(Case.id)).where(_in_period(Case.registered_at, start, end), *conditions)
    return int(await session.scalar(stmt) or 0)


async def repeat_count(session: AsyncSession, start: datetime, end: datetime) -> int:
    return await count_where(session, start, end, Case.repeat_of_id.is_not(None))


async def group_risk_cases(session: AsyncSession, start: datetime, end: datetime) -> list[Case]:
    """Cases with a 群体性苗头 flag registered in the period (few by nature, so rows, not counts)."""
    stmt = (
        select(Case).where(Case.group_risk.is_(True), _in_period(Case.registered_at, start, end))
        .order_by(Case.registered_at, Case.number)
    )
    return list((await session.scalars(stmt)).unique())


@dataclass(frozen=True)
class LeaderFigures:
    leader_id: int
    name: str
    title: str | None
    cases: int
    resolved: int
    open: int


async def leader_figures(session: AsyncSession, start: datetime, end: datetime, *,
                         sets: StatusSets) -> list[LeaderFigures]:
    """包案 cases (a leader in charge) registered in the period, per leader."""
    leader = aliased(Person)
    stmt = (
        select(
            leader.id, leader.name, leader.title, func.count(Case.id),
            func.sum(case((Case.status.in_(list(sets.resolved)), 1), else_=0)),
            func.sum(case((Case.status.in_(list(sets.open)), 1), else_=0)),
        )
        .select_from(Case).join(leader, leader.id == Case.leader_id)
        .where(_in_period(Case.registered_at, start, end))
        .group_by(leader.id, leader.name, leader.title)
        .order_by(func.count(Case.id).desc(), leader.name)
    )
    return [LeaderFigures(int(r[0]), str(r[1]), r[2], int(r[3]), int(r[4] or 0), int(r[5] or 0))
            for r in (await session.execute(stmt)).all()]


async def bucket_counts(session: AsyncSession, boundaries: Sequence[datetime]) -> list[int]:
    """Cases registered in each ``[boundaries[i], boundaries[i+1])``, in one query."""
    if len(boundaries) < 2:
        return []
    bucket = case(
        *[(and_(Case.registered_at >= boundaries[i], Case.registered_at < boundaries[i + 1]), i)
          for i in range(len(boundaries) - 1)],
        else_=-1,
    )
    stmt = (
        select(bucket.label("b"), func.count(Case.id))
        .where(Case.registered_at >= boundaries[0], Case.registered_at < boundaries[-1])
        .group_by(bucket)
    )
    counts = [0] * (len(boundaries) - 1)
    for b, n in (await session.execute(stmt)).all():
        if 0 <= int(b) < len(counts):
            counts[int(b)] = int(n)
    return counts


async def ledger_cases(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[Case, datetime | None]]:
    """Cases registered in the period with their acknowledgement time, in registration order."""
    acks = ack_times()
    stmt = (
        select(Case, acks.c.ack_at)
        .outerjoin(acks, acks.c.case_id == Case.id)
        .where(_in_period(Case.registered_at, start, end))
        .order_by(Case.registered_at, Case.number)
    )
    return [(c, a) for c, a in (await session.execute(stmt)).unique().all()]


async def numbers_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """Case numbers for the given ids (the 台账 shows a repeat's original by number)."""
    if not ids:
        return {}
    stmt = select(Case.id, Case.number).where(Case.id.in_(list(set(ids))))
    return {int(i): str(n) for i, n in (await session.execute(stmt)).all()}
