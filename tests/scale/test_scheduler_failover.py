"""Two scheduler processes on one PostgreSQL: one leads; SIGKILL it and the other leads within 30 s,
catches up on what fell due meanwhile, and every notification still goes out exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from storage.models import OutboxMessage
from tests.jobs.world import Office, add_case, outbox, runtime, seed_office
from tests.monitoring.test_metrics import scrape, value
from tests.scale.cluster import Cluster, Proc, cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

TAKEOVER_LIMIT = 30.0


def zone_where_it_is_ten_now() -> str:
    """A fixed-offset zone whose local time is 10:xx now: the 09:00 alert moment has just passed,
    whenever the test runs (the jobs are due by the wall clock of the processes)."""
    offset = (10 - datetime.now(UTC).hour + 12) % 24 - 12  # local = UTC + offset, offset in [-12, 11]
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT-{offset}" if offset > 0 else f"Etc/GMT+{-offset}"  # POSIX signs are inverted


async def leader_flag(c: Cluster, proc: Proc) -> float:
    return value(await scrape(proc.base), "xinfang_scheduler_leader")


async def wait_for(predicate, timeout: float, what: str, c: Cluster) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await predicate():
            return time.monotonic() - start
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what} not within {timeout}s\n{c.all_logs()}")


async def overdue_case(rt, office: Office, title: str) -> int:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    case = await add_case(rt, office.housing, openid=f"o-citizen-{title}", title=title, owner=office.clerk,
                          registered_at=now - timedelta(days=20), ack_due_at=now - timedelta(days=4),
                          leader=office.secretary)
    return case.id


async def test_standby_scheduler_takes_over_after_sigkill_and_nothing_is_sent_twice(tmp_path: Path) -> None:
    async with cluster(tmp_path) as c:
        c.extra_env["XINFANG_TIMEZONE"] = zone_where_it_is_ten_now()
        async with runtime(c.db_url, SystemClock(), timezone=c.extra_env["XINFANG_TIMEZONE"]) as rt:
            office = await seed_office(rt)
            case_a = await overdue_case(rt, office, "楼道堆物")
            first, second = c.add("scheduler-1", "scheduler"), c.add("scheduler-2", "scheduler")
            sender = c.add("sender", "sender")
            await c.start(first, second, sender)

            async def one_leads() -> bool:
                return sorted([await leader_flag(c, first), await leader_flag(c, second)]) == [0.0, 1.0]

            await wait_for(one_leads, 20, "one leader", c)
            leader, standby = (first, second) if await leader_flag(c, first) == 1 else (second, first)

            async def sent_for(case_id: int) -> bool:
                rows = [r for r in await outbox(rt) if r.case_id == case_id]
                return bool(rows) and all(r.status == "sent" for r in rows)

            await wait_for(lambda: sent_for(case_a), 30, "case A's alerts sent", c)
            before = {r.id for r in await outbox(rt)}

            await c.kill(leader)
            killed_at = time.monotonic()
            # Falls due while nobody leads: the new leader's catch-up must send it.
            case_b = await overdue_case(rt, office, "路灯不亮")

            async def standby_leads() -> bool:
                return await leader_flag(c, standby) == 1.0

            await wait_for(standby_leads, TAKEOVER_LIMIT + 5, "takeover", c)
            took = time.monotonic() - killed_at
            assert took < TAKEOVER_LIMIT, took
            print(f"standby leads {took:.1f} s after SIGKILL of the leader")
            await wait_for(lambda: sent_for(case_b), 30, "case B's alerts sent", c)

            # The killed process comes back as a standby: still exactly one leader.
            await c.start(leader)
            await asyncio.sleep(1.0)
            assert await leader_flag(c, leader) == 0.0 and await leader_flag(c, standby) == 1.0

            rows = await outbox(rt)
            async with rt.sessions() as session:
                keys = list(await session.scalars(select(OutboxMessage.dedupe_key)))
        assert not c.tracebacks(), c.tracebacks()

    assert all(r.status == "sent" for r in rows), [(r.kind, r.status, r.last_error) for r in rows]
    assert {r.case_id for r in rows if r.id not in before} == {case_b}  # A's were not queued again
    assert len(keys) == len(set(keys)) and None not in keys
    # Delivered exactly once each: as many template sends as rows, one per person and message.
    sends = c.wx.calls_to("message/template/send")
    assert len(sends) == len(rows)
    per_row = Counter((r.openid, r.kind, r.case_id) for r in rows)
    assert max(per_row.values()) == 1, per_row
    assert {r.kind for r in rows} >= {"overdue_alert"}
