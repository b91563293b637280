"""``GET /metrics``: refresh the database gauges (bounded in time), then expose this process's registry.

A scrape never waits on the database for more than ``SCRAPE_DB_TIMEOUT`` seconds: when the database
is down or hangs, the answer still comes, with ``xinfang_database_up 0`` and the database gauges
left at their last values. Alert rules built on these metrics are in README (运维监控).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.case_policy import ACK_CLOCK_STATUSES, RESOLVE_CLOCK_STATUSES
from bot.metrics import CASES_OPEN, DATABASE_UP, OUTBOX_MESSAGES, OUTBOX_STATUSES, exposition
from bot.runtime import Runtime
from storage.repositories.monitoring import open_case_counts, outbox_counts

log = logging.getLogger(__name__)

SCRAPE_DB_TIMEOUT = 2.0


async def _read_database(rt: Runtime) -> None:
    async with rt.sessions() as session:
        outbox = await outbox_counts(session)
        cases = await open_case_counts(session, rt.now(), ack_statuses=ACK_CLOCK_STATUSES,
                                       resolve_statuses=RESOLVE_CLOCK_STATUSES)
    for status in {*OUTBOX_STATUSES, *outbox}:
        OUTBOX_MESSAGES.labels(status=status).set(outbox.get(status, 0))
    for overdue, n in cases.items():
        CASES_OPEN.labels(overdue="true" if overdue else "false").set(n)


async def refresh_from_database(rt: Runtime, timeout: float = SCRAPE_DB_TIMEOUT) -> bool:
    """Update the database gauges; False (and ``xinfang_database_up 0``) if that failed or took too long."""
    try:
        await asyncio.wait_for(_read_database(rt), timeout)
    except Exception as exc:  # an outage is what this reports, not a reason to fail the scrape
        log.warning("metrics: database not readable: %s", f"{type(exc).__name__}: {exc}"[:200])
        DATABASE_UP.set(0)
        return False
    DATABASE_UP.set(1)
    return True


def metrics_handler(runtime_of: Callable[[web.Request], Runtime]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        await refresh_from_database(runtime_of(request))
        return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle
