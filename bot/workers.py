"""Background workers that run beside the webhook: the outbox sender and the scheduler.

``start_worker(name, runtime)`` starts one and returns an async ``stop()``; ``serve`` picks which
ones a process runs, so schedulers (one leading) and several senders can be spread over processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.runtime import Runtime

Stop = Callable[[], Awaitable[None]]


async def start_worker(name: str, rt: Runtime) -> Stop:
    if name == "sender":
        from bot.outbox_sender import start_sender

        return await start_sender(rt)
    if name == "scheduler":
        # Several scheduler processes may run: one leads (bot.jobs.leader), the others stand by.
        from bot.jobs.leader import start_led_scheduler

        return await start_led_scheduler(rt)
    raise ValueError(name)
