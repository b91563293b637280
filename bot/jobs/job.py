"""What a timed job is: a name, an async function of the runtime, and how often the scheduler looks.

Each job module lists its own ``JOBS`` next to the functions, so adding a reminder is its function
and its line in the same module (and its text in ``bot.services.notice_texts``);
``bot.jobs.scheduler`` runs every module's list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.runtime import Runtime

JobFn = Callable[[Runtime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFn
    # How often the scheduler looks; the due moments (18:00, 08:00, 09:00, …) are inside the jobs.
    every: timedelta
