"""Set-based sweeps over the indexed deadline columns, for the timed jobs.

Each query asks the database for exactly the cases a job acts on (through the composite
``(status, <deadline>)`` indexes), never loads all cases into Python. Which statuses run which
deadline clock, and which closed cases get a 回头看, is case policy (``bot.case_policy``): the
callers pass it in as ``clocks`` and the other status / rating parameters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Case, Person

# deadline kind -> the statuses in which its clock runs (bot.case_policy.DEADLINE_CLOCKS)
Clocks = Mapping[str, Sequence[str]]
_COLUMNS = {"ack": Case.ack_due_at, "resolve": Case.resolve_due_at}


@dataclass(frozen=True)
class DueCase:
    """A case with the one deadline a sweep found it for (``deadline`` is ``ack`` or ``resolve``)."""

    id: int
    number: str
    title: str
    department_id: int | None
    owner_id: int | None
    leader_id: int | None
    citizen_openid: str | None
    deadline: str
    due_at: datetime
    # 检举控告类 cases' titles are masked in notices to people not entitled to the reporter's identity.
    kind: str = ""


def _columns(deadline: str, due_column: InstrumentedAttribute[datetime | None]) -> tuple[Any, ...]:
    return (Case.id, Case.number, Case.title, Case.department_id, Case.owner_id, Case.leader_id,
            Case.citizen_openid, literal(deadline).label("deadline"), due_column.label("due_at"), Case.kind)


def _deadline_sweep(clocks: Clocks, lower: datetime | None, upper: datetime, *, upper_inclusive: bool) -> Select:
    """Open cases whose running deadline lies in (lower, upper] (or < upper)."""
    parts = []
    for deadline, statuses in clocks.items():
        column = _COLUMNS[deadline]
        cond = [Case.status.in_(statuses), column <= upper if upper_inclusive else column < upper]
        if lower is not None:
            cond.append(column > lower)
        parts.append(select(*_columns(deadline, column)).where(and_(*cond)))
    return union_all(*parts)  # type: ignore[return-value]


async def _due_cases(session: AsyncSession, stmt: Select) -> list[DueCase]:
    out = [DueCase(*row) for row in (await session.execute(stmt)).all()]
    out.sort(key=lambda c: (c.due_at, c.id))
    return out


async def near_due_cases(session: AsyncSession, clocks: Clocks, *, now: datetime,
                         horizon: datetime) -> list[DueCase]:
    """Open cases whose running deadline is still ahead but no later than ``horizon``."""
    return await _due_cases(session, _deadline_sweep(clocks, now, horizon, upper_inclusive=True))


async def overdue_cases(session: AsyncSession, clocks: Clocks, *, due_before: datetime) -> list[DueCase]:
    """Open cases whose running deadline passed before ``due_before`` (``now`` for all overdue ones,
    earlier for the escalation threshold)."""
    return await _due_cases(session, _deadline_sweep(clocks, None, due_before, upper_inclusive=False))


async def resolved_unrated_cases(session: AsyncSession, *, status: str, resolved_before: datetime) -> list[Case]:
    """Cases in ``status`` (resolved) nobody rated, resolved before the cut-off (auto-close).

    Locked for update where the database can (PostgreSQL): two schedulers never close one case twice;
    SQLite serialises writers anyway.
    """
    stmt = (select(Case).where(Case.status == status, Case.resolved_at <= resolved_before,
                               Case.satisfaction.is_(None))
            .order_by(Case.resolved_at, Case.id))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Case, skip_locked=True)
    return list((await session.scalars(stmt)).unique())


async def follow_up_cases(session: AsyncSession, *, status: str, satisfaction: Sequence[int],
                          closed_after: datetime, closed_before: datetime) -> list[Case]:
    """Cases in ``status`` (closed) in the window, rated one of ``satisfaction`` or under 包案."""
    stmt = (select(Case).where(Case.status == status, Case.closed_at > closed_after,
                               Case.closed_at <= closed_before,
                               or_(Case.satisfaction.in_(tuple(satisfaction)), Case.leader_id.is_not(None)))
            .order_by(Case.closed_at, Case.id))
    return list((await session.scalars(stmt)).unique())


async def department_staff(session: AsyncSession, department_ids: Iterable[int | None]) -> dict[int, list[Person]]:
    """Active, bound staff of each department (the assignee side of an alert), in one query."""
    ids = sorted({d for d in department_ids if d is not None})
    if not ids:
        return {}
    rows = await session.scalars(
        select(Person).where(Person.department_id.in_(ids), Person.role == "staff", Person.active.is_(True),
                             Person.openid.is_not(None)).order_by(Person.id))
    out: dict[int, list[Person]] = defaultdict(list)
    for person in rows.unique():
        out[person.department_id].append(person)  # type: ignore[index]
    return dict(out)


async def people_by_id(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, Person]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {p.id: p for p in rows.unique()}


async def people_with_role(session: AsyncSession, role: str) -> Sequence[Person]:
    rows = await session.scalars(
        select(Person).where(Person.role == role, Person.active.is_(True), Person.openid.is_not(None))
        .order_by(Person.id))
    return list(rows.unique())
