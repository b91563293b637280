"""Read-side questions about cases that chat handlers (and the web console) ask, with visibility.

``case_for`` turns a staff member's ``<案>`` argument into a case they may see: a case number
(``XF20261124-0007``, any letter case) or the short index of the last list shown to them (``待办``
→ ``1``, ``2``…; the chat side passes that list in). A case the person may not see is reported
exactly like a case that does not exist, so staff of another department learn nothing about it.
Who sees what is ``bot.case_policy.can_see``; ``visible_clause`` is the same rule as SQL for lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import OPEN_STATUSES, SEE_ALL_ROLES, can_see, running_deadline
from nlp.numbers import parse_number as parse_count
from storage.models import Case, CaseEvent, Person
from storage.repositories.cases import cases_by_ids
from storage.repositories.departments import all_departments

__all__ = ["Case", "LogEntry", "Person", "by_number", "can_see", "case_for", "case_log", "cases_by_ids",
           "department_names", "parse_number", "todo_cases", "visible_clause"]

NUMBER_RE = re.compile(r"^XF\d{8}-\d{4,}$", re.IGNORECASE)


@dataclass(frozen=True)
class LogEntry:
    """One line of a case's event log as staff see it."""

    at: datetime
    actor_role: str
    actor: Person | None
    action: str
    text: str | None


def parse_number(arg: str | None) -> str | None:
    """``arg`` as a case number (upper case), or None if it is not one."""
    if not arg:
        return None
    arg = arg.strip().upper()
    return arg if NUMBER_RE.match(arg) else None


def visible_clause(person: Person) -> Any:
    """``can_see`` as a SQL condition, for lists."""
    if person.role in SEE_ALL_ROLES:
        return True
    conditions = [Case.owner_id == person.id, Case.leader_id == person.id]
    if person.department_id is not None:
        conditions.append(Case.department_id == person.department_id)
    return or_(*conditions)


async def by_number(session: AsyncSession, number: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.number == number.upper()))


async def case_for(session: AsyncSession, person: Person | None, ref: str | None,
                   last_list: Sequence[int] = ()) -> Case | None:
    """The case ``ref`` names for ``person``, or None (missing, unknown or not visible)."""
    if not ref:
        return None
    ref = ref.strip()
    case: Case | None = None
    if NUMBER_RE.match(ref):
        case = await by_number(session, ref)
    elif (index := parse_count(ref)) is not None:
        if 1 <= index <= len(last_list):
            case = await session.get(Case, int(last_list[index - 1]))
    if case is None or not can_see(person, case):
        return None
    return case


async def todo_cases(session: AsyncSession, person: Person) -> list[Case]:
    """Open cases the person may work on, soonest running deadline first."""
    rows = list(await session.scalars(
        select(Case).where(Case.status.in_(OPEN_STATUSES), visible_clause(person))))

    def key(case: Case) -> tuple[int, Any, int]:
        due = running_deadline(case)[1]
        return (0 if due is not None else 1, due.timestamp() if due else 0, case.id)

    return sorted(rows, key=key)


async def case_log(session: AsyncSession, case: Case) -> list[LogEntry]:
    """Every event of the case, oldest first, with the acting person where there is one."""
    events = list(await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)))
    ids = {e.actor_id for e in events if e.actor_id}
    people = {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    return [LogEntry(e.at, e.actor_role, people.get(e.actor_id) if e.actor_id else None, e.action, e.text)
            for e in events]


async def department_names(session: AsyncSession) -> list[str]:
    return [d.name for d in await all_departments(session)]
