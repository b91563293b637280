"""Prometheus metrics: the registry and the hooks the code calls (``GET /metrics``: bot.metrics_endpoint).

This module imports nothing of ours, so any layer (the WeChat client included) may count things.

Each process keeps its own registry (webhook workers, sender, scheduler are separate processes and
Prometheus scrapes each one); counters and the latency histogram are this process's, the outbox and
open-case gauges are read from the database at scrape time. A scrape never waits on the database
for more than ``SCRAPE_DB_TIMEOUT`` seconds: when the database is down or hangs, the answer still
comes, with ``xinfang_database_up 0`` and the database gauges left at their last values.

Alert rules built on these are in README (运维监控).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

OUTBOX_STATUSES = ("pending", "sending", "waiting", "sent", "failed")

REGISTRY = CollectorRegistry(auto_describe=True)

WEBHOOK_REQUESTS = Counter(
    "xinfang_webhook_requests", "WeChat pushes answered, by outcome (ok = 200, rejected = 4xx, error = 5xx)",
    ["outcome"], registry=REGISTRY)
WEBHOOK_SECONDS = Histogram(
    "xinfang_webhook_seconds", "Time to answer a WeChat push (WeChat gives up after 5 s)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0), registry=REGISTRY)
OUTBOX_MESSAGES = Gauge("xinfang_outbox_messages", "Outbox messages by status (read at scrape time)",
                        ["status"], registry=REGISTRY)
OUTBOX_SEND_FAILURES = Counter("xinfang_outbox_send_failures", "WeChat errors while sending outbox messages",
                               ["errcode"], registry=REGISTRY)
JOB_LAST_SUCCESS = Gauge("xinfang_job_last_success_timestamp_seconds",
                         "When each scheduled job last finished without error (Unix time)", ["job"],
                         registry=REGISTRY)
JOB_FAILURES = Counter("xinfang_job_failures", "Scheduled job runs that raised", ["job"], registry=REGISTRY)
CASES_OPEN = Gauge("xinfang_cases_open", "Open cases, overdue or not (read at scrape time)", ["overdue"],
                   registry=REGISTRY)
TOKEN_REFRESHES = Counter("xinfang_token_refreshes", "Access tokens fetched from WeChat by this process",
                          registry=REGISTRY)
DATABASE_UP = Gauge("xinfang_database_up", "1 if the database answered this scrape's queries in time",
                    registry=REGISTRY)
SCHEDULER_LEADER = Gauge("xinfang_scheduler_leader", "1 while this process is the leading scheduler",
                         registry=REGISTRY)
PROCESS_ROLE = Gauge("xinfang_process_role", "The components this process runs (value 1)", ["role"],
                     registry=REGISTRY)


def outcome_for(status: int) -> str:
    if status < 400:
        return "ok"
    return "rejected" if status < 500 else "error"


# One child per outcome, made once: ``labels()`` on every push was a tenth of the timing's cost.
_WEBHOOK_OUTCOMES = {outcome: WEBHOOK_REQUESTS.labels(outcome=outcome) for outcome in ("ok", "rejected", "error")}


def timed_webhook(handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                  ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The webhook's POST handler, counted and timed.

    A wrapper on that one route rather than an application middleware: a middleware runs for
    every route and its chain cost a webhook message as much as its own bookkeeping SQL.
    """
    async def timed(request: web.Request) -> web.StreamResponse:
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            WEBHOOK_SECONDS.observe(time.perf_counter() - start)
            _WEBHOOK_OUTCOMES[outcome_for(status)].inc()

    return timed


def job_succeeded(job: str, when: float) -> None:
    JOB_LAST_SUCCESS.labels(job=job).set(when)


def job_failed(job: str) -> None:
    JOB_FAILURES.labels(job=job).inc()


def send_failed(errcode: int | str) -> None:
    OUTBOX_SEND_FAILURES.labels(errcode=str(errcode)).inc()


def token_refreshed() -> None:
    TOKEN_REFRESHES.inc()


def set_role(components: frozenset[str] | set[str]) -> None:
    for role in components:
        PROCESS_ROLE.labels(role=role).set(1)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
