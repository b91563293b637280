"""APScheduler wiring: every job module's ``JOBS`` (name, function, how often), and
``start_scheduler(rt) -> stop()``.

The scheduler only decides *when to look*; each job recomputes from the database and ``rt.now()``
what is due and enforces once-only through outbox dedupe keys. So APScheduler's own clock and memory
hold nothing that matters: every job also runs once at start-up (catch-up after downtime), runs
are coalesced (a backlog of missed runs is one run), one instance at a time, and a run that fires
late within its grace time still runs — later than that, the next run covers it anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import metrics
from bot.jobs import alerts, campaign_jobs, reception, retention
from bot.jobs.job import Job
from bot.runtime import Runtime
from bot.services import reception as reception_service
from bot.services import report_drafts, risk

log = logging.getLogger(__name__)

async def draft_reminders(rt: Runtime) -> int:
    """30 minutes after an unfinished report (``bot.services.report_drafts`` owns the drafts)."""
    async with rt.sessions() as session, session.begin():
        return await report_drafts.remind_stale_drafts(session, rt)


async def prune_group_risk_index(rt: Runtime) -> int:
    """Rows of the group-risk index older than its window are dead weight: removed hourly."""
    async with rt.sessions() as session, session.begin():
        return await risk.prune_index(session, rt)


# Every module's jobs, in the order one catch-up run goes through them.
JOBS: tuple[Job, ...] = (
    *reception.JOBS,
    *alerts.JOBS,
    Job("draft_reminders", draft_reminders, timedelta(minutes=1)),
    *campaign_jobs.JOBS,
    *retention.JOBS,
    Job("prune_group_risk_index", prune_group_risk_index, timedelta(hours=1)),
)


# How long shutdown waits for jobs already running (systemd's TimeoutStopSec is 15 s).
STOP_TIMEOUT_SECONDS = 10


async def run_job(rt: Runtime, job: Job) -> int:
    """Run one job; a failing job is logged (and counted as a bug, like a handler's) and must not
    stop the others."""
    try:
        done = await job.fn(rt)
    except Exception as exc:
        log.exception("job %s failed", job.name)
        metrics.job_failed(job.name)
        rt.handler_errors.append(exc)
        return 0
    metrics.job_succeeded(job.name, rt.now().timestamp())
    return done


async def run_due_jobs(rt: Runtime) -> dict[str, int]:
    """Run every job once, now (tests call this after moving the FakeClock)."""
    return {job.name: await run_job(rt, job) for job in JOBS}


async def load_reception_config(rt: Runtime) -> int:
    async with rt.sessions() as session, session.begin():
        return await reception_service.load_configured_sessions(session, rt)


async def start_scheduler(rt: Runtime, *, jobs: tuple[Job, ...] = JOBS) -> Callable[[], Awaitable[None]]:
    """Start the jobs on an AsyncIOScheduler in this event loop; returns an async ``stop()``."""
    if rt.settings.reception:
        try:
            count = await load_reception_config(rt)
            log.info("loaded %d reception sessions from the configuration", count)
        except reception_service.SessionError as exc:
            log.error("reception configuration rejected: %s", exc)
    scheduler = AsyncIOScheduler(timezone=rt.tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
    running: set[asyncio.Task[object]] = set()

    def tracked(fn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        # The job's work runs in its own task, shielded: at shutdown the executor's task may be
        # cancelled, but a job is never cut off mid-transaction; ``stop`` waits for the work.
        async def run(*args: object) -> object:
            work: asyncio.Task[object] = asyncio.ensure_future(fn(*args))
            running.add(work)
            work.add_done_callback(running.discard)
            return await asyncio.shield(work)

        return run

    for job in jobs:
        seconds = job.every.total_seconds()
        scheduler.add_job(
            tracked(run_job), IntervalTrigger(seconds=seconds, timezone=rt.tz), args=(rt, job), id=job.name,
            name=job.name, coalesce=True, max_instances=1, misfire_grace_time=int(max(seconds, 60)))
    # A one-off run right away (no trigger = now): catch up on whatever fell due while no scheduler ran.
    scheduler.add_job(tracked(run_due_jobs), args=(rt,), id="catch_up", name="catch_up")
    scheduler.start()
    log.info("scheduler started with %d jobs", len(jobs))

    async def stop() -> None:
        if not scheduler.running:
            return
        # Pause first so nothing new starts. A job submitted just before the pause has a task that
        # has not started yet: let it start (and register its work) before waiting.
        scheduler.pause()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        if running:
            log.info("waiting for %d running job(s) before stopping", len(running))
            await asyncio.wait(set(running), timeout=STOP_TIMEOUT_SECONDS)
        scheduler.shutdown(wait=False)

    return stop

