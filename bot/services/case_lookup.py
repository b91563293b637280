"""Turning a staff member's ``<案>`` argument into a case they may see.

The argument is a case number (``XF20261124-0007``, any letter case) or the short index of the last
list shown to that person (``待办`` → ``1``, ``2``…, remembered by ``bot.services.conversation``).
A case the person may not see is reported exactly like a case that does not exist, so staff of
another department learn nothing about it.
"""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dispatch import Context
from bot.services import conversation
from nlp.numbers import parse_number
from storage.models import Case, Person

NUMBER_RE = re.compile(r"^XF\d{8}-\d{4,}$", re.IGNORECASE)


def can_see(person: Person | None, case: Case) -> bool:
    """Staff: their department's cases and cases they own (首问); leaders: also cases they hold
    (包案); supervisors and admins: every case."""
    if person is None or not person.active:
        return False
    if person.role in ("supervisor", "admin"):
        return True
    if case.owner_id == person.id or case.leader_id == person.id:
        return True
    return person.department_id is not None and case.department_id == person.department_id


def visible_clause(person: Person):  # type: ignore[no-untyped-def]
    """``can_see`` as a SQL condition, for lists."""
    if person.role in ("supervisor", "admin"):
        return True
    conditions = [Case.owner_id == person.id, Case.leader_id == person.id]
    if person.department_id is not None:
        conditions.append(Case.department_id == person.department_id)
    return or_(*conditions)


async def by_number(session: AsyncSession, number: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.number == number.upper()))


async def resolve(ctx: Context, arg: str | None) -> Case | None:
    """The case ``arg`` names for ``ctx.person``, or None (missing, unknown or not visible)."""
    if not arg:
        return None
    arg = arg.strip()
    case: Case | None = None
    if NUMBER_RE.match(arg):
        case = await by_number(ctx.session, arg)
    elif (index := parse_number(arg)) is not None:
        conv = await conversation.load(ctx)
        ids = list(conv.last_list or [])
        if 1 <= index <= len(ids):
            case = await ctx.session.get(Case, int(ids[index - 1]))
    if case is None or not can_see(ctx.person, case):
        return None
    return case
