"""The 待办 inbox as a query: the cases a person may work on, filtered, searched, sorted and paged.

With no filter it is chat's ``待办``: the open cases ``case_queries.visible_clause`` lets the person
see, soonest running deadline first (``case_policy.running_deadline``: acknowledgement while
registered, resolution while being worked on), cases without a deadline last. The deadline is computed in SQL so a page of 10,000 cases
costs one ordered, limited query plus a count.

Search is a plain substring match on number, title, content and place, with the user's text bound
as a parameter and LIKE's wildcards escaped, so ``%``, ``_`` and SQL-looking text match themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import (
    CONFIDENTIAL_KIND,
    DEADLINE_CLOCKS,
    OPEN_STATUSES,
    STATUSES,
    running_deadline,
    sees_informants,
)
from bot.runtime import Runtime
from bot.services.case_queries import visible_clause
from bot.services.masking import view_for
from storage.models import Case, Person
from storage.models.cases import CASE_SOURCES
from storage.repositories.departments import all_departments

PAGE_SIZE = 20
MAX_SEARCH = 100
SORTS = ("deadline", "-deadline", "registered", "-registered")
LEADER_FILTERS = ("", "yes", "no", "mine")
STATUS_FILTERS = ("open", "all", *STATUSES)


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox page asks for; every field comes from the URL and is checked by ``clean``."""

    status: str = "open"
    category: str = ""
    department_id: int | None = None
    source: str = ""
    leader: str = ""  # "" any, "yes" 包案, "no" 未包案, "mine" 我包案的
    overdue: bool = False
    q: str = ""
    sort: str = "deadline"
    page: int = 1
    problems: list[str] = field(default_factory=list)

    @classmethod
    def clean(cls, params: dict[str, str]) -> InboxQuery:
        """Build a query from untrusted parameters; what cannot be used is dropped and named in ``problems``."""
        problems: list[str] = []

        def pick(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = params.get(name, default) or default
            if value not in allowed:
                problems.append(name)
                return default
            return value

        # Control characters (a NUL ends a string in SQLite) are dropped; whitespace runs become one space.
        q = " ".join("".join(c for c in (params.get("q") or "") if c >= " " or c in "\t\n").split())
        if len(q) > MAX_SEARCH:
            problems.append("q_too_long")
            q = ""
        dept = params.get("department") or ""
        department_id = int(dept) if dept.isdigit() and len(dept) < 10 else None
        if dept and department_id is None:
            problems.append("department")
        page_text = params.get("page") or "1"
        page = int(page_text) if page_text.isdigit() and len(page_text) < 7 else 1
        category = (params.get("category") or "").strip()[:32]
        return cls(status=pick("status", STATUS_FILTERS, "open"), category=category, department_id=department_id,
                   source=pick("source", ("", *CASE_SOURCES), ""), leader=pick("leader", LEADER_FILTERS, ""),
                   overdue=params.get("overdue") in ("1", "on", "yes"), q=q, sort=pick("sort", SORTS, "deadline"),
                   page=max(page, 1), problems=problems)

    def with_page(self, page: int) -> InboxQuery:
        return replace(self, page=page)


@dataclass
class InboxPage:
    cases: list[Case]
    total: int
    query: InboxQuery
    now: datetime
    # Case id -> title as this person may read it (检举控告类 masked, ``bot.services.masking``).
    titles: dict[int, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def current_due():  # type: ignore[no-untyped-def]
    """``case_policy.running_deadline`` as SQL: the deadline whose clock runs in the case's status."""
    return when((Case.status.in_(DEADLINE_CLOCKS["ack"]), Case.ack_due_at),
                (Case.status.in_(DEADLINE_CLOCKS["resolve"]), Case.resolve_due_at), else_=None)


def due_of(case: Case) -> datetime | None:
    return running_deadline(case)[1]  # type: ignore[no-any-return]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(person: Person, query: InboxQuery, now: datetime) -> list[Any]:
    conditions: list[Any] = []
    visible = visible_clause(person)
    if visible is not True:
        conditions.append(visible)
    if query.status == "open":
        conditions.append(Case.status.in_(OPEN_STATUSES))
    elif query.status != "all":
        conditions.append(Case.status == query.status)
    if query.category:
        conditions.append(or_(Case.category == query.category, Case.category_group == query.category))
    if query.department_id is not None:
        conditions.append(Case.department_id == query.department_id)
    if query.source:
        conditions.append(Case.source == query.source)
    if query.leader == "yes":
        conditions.append(Case.leader_id.is_not(None))
    elif query.leader == "no":
        conditions.append(Case.leader_id.is_(None))
    elif query.leader == "mine":
        conditions.append(Case.leader_id == person.id)
    if query.overdue:
        conditions.append(Case.status.in_(OPEN_STATUSES))
        conditions.append(current_due() < now)
    if query.q:
        pattern = f"%{_escape_like(query.q)}%"
        words = or_(*(column.like(pattern, escape="\\") for column in (Case.title, Case.content, Case.location_text)))
        if not sees_informants(person):
            # The page shows a 检举控告类 case's text masked for this viewer; searching the unmasked
            # text would let a phone number or a name find the informant's case. Its number still does.
            words = and_(or_(Case.kind.is_(None), Case.kind != CONFIDENTIAL_KIND), words)
        conditions.append(or_(Case.number.like(pattern, escape="\\"), words))
    return conditions


def _order(sort: str) -> list[Any]:
    due = current_due()
    if sort == "-deadline":
        return [due.is_(None), due.desc(), Case.id.desc()]
    if sort == "registered":
        return [Case.registered_at, Case.id]
    if sort == "-registered":
        return [Case.registered_at.desc(), Case.id.desc()]
    # Chat's 待办 order: soonest deadline first, cases without one last, then by id.
    return [due.is_(None), due, Case.id]


async def inbox(session: AsyncSession, rt: Runtime, person: Person, query: InboxQuery) -> InboxPage:
    """One page of the inbox for ``person``."""
    now = rt.now()
    conditions = _conditions(person, query, now)
    total = int(await session.scalar(select(func.count(Case.id)).where(*conditions)) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    query = query.with_page(min(query.page, pages))
    rows = await session.scalars(select(Case).where(*conditions).order_by(*_order(query.sort))
                                 .offset((query.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    cases = list(rows.unique())
    return InboxPage(cases, total, query, now, {c.id: view_for(person, c).title for c in cases})


async def filter_choices(session: AsyncSession, rt: Runtime) -> dict[str, list[Any]]:
    """Values the filter menus offer: the rules' categories, the departments, the sources."""
    rules = getattr(rt.categoriser, "rules", None)
    categories = [c.name for c in getattr(rules, "categories", []) or []]
    return {"categories": categories, "departments": await all_departments(session), "sources": list(CASE_SOURCES)}
