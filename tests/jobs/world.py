"""A small office for timed-work tests: people, a recurring Tuesday session, cases with deadlines.

Rows are written directly (not through the chat) so these tests exercise the jobs alone; the
end-to-end tests drive the same things through the fake WeChat platform.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from storage.engine import make_engine, make_session_factory
from storage.models import Case, Department, OutboxMessage, Person

TZ = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def end_of(year: int, month: int, day: int) -> datetime:
    return local(year, month, day, 23, 59, 59)


@asynccontextmanager
async def runtime(db_url: str, clock, **settings) -> AsyncIterator[Runtime]:  # type: ignore[no-untyped-def]
    """A runtime with its own engine, as a separate process (a second scheduler) would have."""
    engine = make_engine(db_url)
    rt = Runtime(settings=Settings(database_url=db_url, **settings), clock=clock,
                 sessions=make_session_factory(engine), categoriser=None)  # type: ignore[arg-type]
    try:
        yield rt
    finally:
        await engine.dispose()


@dataclass
class Office:
    housing: Department
    supervision: Department
    secretary: Person  # leader holding the Tuesday reception day
    director: Person  # 住建局局长, 陪访
    clerk: Person  # 住建局 staff
    inspector: Person  # 督查室 supervisor


async def seed_office(rt: Runtime) -> Office:
    now = rt.now()
    async with rt.sessions() as session, session.begin():
        housing = Department(name="住建局")
        supervision = Department(name="督查室", is_supervision=True)
        session.add_all([housing, supervision])
        await session.flush()

        def person(name: str, role: str, title: str, dept: Department, openid: str) -> Person:
            p = Person(name=name, role=role, title=title, department_id=dept.id, openid=openid,
                       bound_at=now, active=True, created_at=now)
            session.add(p)
            return p

        office = Office(
            housing=housing, supervision=supervision,
            secretary=person("张明", "leader", "县委书记", supervision, "o-secretary"),
            director=person("李强", "leader", "住建局局长", housing, "o-director"),
            clerk=person("王芳", "staff", "科员", housing, "o-clerk"),
            inspector=person("赵刚", "supervisor", "督查室主任", supervision, "o-inspector"),
        )
        await session.flush()
    return office


_numbers = iter(range(1, 10_000))


async def add_case(rt: Runtime, dept: Department, *, openid: str, title: str, status: str = "registered",
                   registered_at: datetime, ack_due_at: datetime | None = None,
                   resolve_due_at: datetime | None = None, leader: Person | None = None,
                   owner: Person | None = None, **extra) -> Case:  # type: ignore[no-untyped-def]
    async with rt.sessions() as session, session.begin():
        case = Case(number=f"XF{registered_at.astimezone(TZ):%Y%m%d}-{next(_numbers):04d}", citizen_openid=openid,
                    content=title + "，请尽快解决。", title=title, category="物业管理", category_group="城乡建设",
                    department_id=dept.id, status=status, registered_at=registered_at,
                    ack_due_at=ack_due_at or registered_at + timedelta(days=15), resolve_due_at=resolve_due_at,
                    leader_id=leader.id if leader else None, owner_id=owner.id if owner else None,
                    updated_at=registered_at, keywords=[], urgent_flags=[], **extra)
        session.add(case)
    return case


async def outbox(rt: Runtime) -> list[OutboxMessage]:
    async with rt.sessions() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def sent_list(rows: list[OutboxMessage], tz=TZ) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(local time queued, kind, openid) per message, in order."""
    return [(r.created_at.astimezone(tz).strftime("%m-%d %H:%M"), r.kind, r.openid) for r in rows]


def seeded_sqlite_office(directory: Path, clock) -> str:  # type: ignore[no-untyped-def]
    """A fresh SQLite file holding the seeded office, for CLI tests that run commands in-process."""
    from tests import dbs

    url = dbs.sqlite_url(directory)

    async def setup() -> None:
        await dbs.create_schema(url)
        async with runtime(url, clock) as rt:
            await seed_office(rt)

    asyncio.run(setup())
    return url
