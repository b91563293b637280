"""Scheduler failover: any number of scheduler processes may run; the one holding the lock runs the jobs.

On PostgreSQL the leader holds a session-level advisory lock (``storage.advisory_lock``) on its own
connection. Standbys try to take it every ``POLL_SECONDS``; the leader checks every ``POLL_SECONDS``
that it still holds it. When the leader dies its connection closes, PostgreSQL frees the lock, and
a standby leads within one poll (plus its start-up): well inside the 30 s the operators were
promised. The new leader's scheduler starts with a catch-up run (``bot.jobs.scheduler``), and the
outbox dedupe keys make anything the old leader already queued a no-op — so for a few seconds two
leaders (one losing its connection, one just elected) cannot send anything twice either.

On SQLite there is one process by design (one writer); the scheduler simply runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot import metrics
from bot.runtime import Runtime
from storage.advisory_lock import AdvisoryLock

log = logging.getLogger(__name__)

# "xinf": the advisory lock key every xinfang scheduler competes for (one per database).
LOCK_KEY = 0x78696E66
POLL_SECONDS = 5.0

Stop = Callable[[], Awaitable[None]]
StartJobs = Callable[[Runtime], Awaitable[Stop]]


async def _start_jobs(rt: Runtime) -> Stop:
    from bot.jobs.scheduler import start_scheduler

    return await start_scheduler(rt)


async def start_led_scheduler(rt: Runtime, *, start: StartJobs = _start_jobs,
                              poll_seconds: float = POLL_SECONDS) -> Stop:
    """Start competing for leadership (or, on SQLite, just start); returns an async ``stop()``."""
    if not rt.settings.is_postgres:
        stop_jobs = await start(rt)
        metrics.SCHEDULER_LEADER.set(1)

        async def stop_sqlite() -> None:
            metrics.SCHEDULER_LEADER.set(0)
            await stop_jobs()

        return stop_sqlite

    election = Election(rt, AdvisoryLock(rt.settings.database_url, LOCK_KEY), start, poll_seconds)
    election.task = asyncio.create_task(election.run(), name="scheduler-election")
    return election.stop


class Election:
    def __init__(self, rt: Runtime, lock: AdvisoryLock, start: StartJobs, poll_seconds: float) -> None:
        self.rt = rt
        self.lock = lock
        self.start = start
        self.poll = poll_seconds
        self.stop_jobs: Stop | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        return self.stop_jobs is not None

    async def run(self) -> None:
        metrics.SCHEDULER_LEADER.set(0)
        log.info("scheduler standing by for leadership")
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not end the election: log and try again next poll
                log.exception("scheduler election step failed")
            await asyncio.sleep(self.poll)

    async def _step(self) -> None:
        if not self.leading:
            if await self.lock.try_acquire():
                log.warning("scheduler: this process leads now; running the jobs with a catch-up run")
                self.stop_jobs = await self.start(self.rt)
                metrics.SCHEDULER_LEADER.set(1)
        elif not await self.lock.still_held():
            log.warning("scheduler: leadership lost (database connection); stopping the jobs")
            await self._stop_jobs()

    async def _stop_jobs(self) -> None:
        stop_jobs, self.stop_jobs = self.stop_jobs, None
        metrics.SCHEDULER_LEADER.set(0)
        if stop_jobs is not None:
            await stop_jobs()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self._stop_jobs()
        await self.lock.close()
