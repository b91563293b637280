"""Background workers that run beside the webhook: the outbox sender and the scheduler.

``start_worker(name, runtime)`` starts one and returns an async ``stop()``; ``serve`` picks which
ones a process runs, so one scheduler and several senders can be spread over processes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.runtime import Runtime

log = logging.getLogger(__name__)

Stop = Callable[[], Awaitable[None]]


async def start_worker(name: str, rt: Runtime) -> Stop:
    if name == "sender":
        try:
            from bot.outbox_sender import start_sender
        except ImportError:
            log.warning("outbox sender not available yet")
            return _noop
        return await start_sender(rt)
    if name == "scheduler":
        try:
            from bot.jobs.scheduler import start_scheduler
        except ImportError:
            log.warning("scheduler not available yet")
            return _noop
        return await start_scheduler(rt)
    raise ValueError(name)


async def _noop() -> None:
    return None
