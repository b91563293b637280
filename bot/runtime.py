"""The runtime object handed to handlers, services and jobs: settings, clock, DB, rules, API client.

One is built per process by the app factory (or by a test); nothing reaches for globals instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.settings import Settings
from storage.engine import SessionFactory
from storage.unit_of_work import UnitFactory

if TYPE_CHECKING:
    from nlp import Categoriser


class ErrorLog:
    """Handler and job exceptions: a count plus the last few, as text, never the exceptions.

    Every failure is logged with its traceback where it happens; this is what tests and the demo
    look at ("were there any, which"). Keeping exception objects would keep their tracebacks' frames
    and everything those reference: memory growing with every crafted failing message.
    """

    KEEP = 20

    def __init__(self) -> None:
        self.count = 0
        self._recent: deque[str] = deque(maxlen=self.KEEP)

    def append(self, exc: BaseException) -> None:
        self.count += 1
        self._recent.append(f"{type(exc).__name__}: {exc}"[:500])

    def clear(self) -> None:
        self.count = 0
        self._recent.clear()

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._recent))

    def __eq__(self, other: object) -> bool:
        # ``rt.handler_errors == []`` in tests written when this was a list.
        if isinstance(other, list):
            return self.count == len(other) and list(self._recent) == other
        return self is other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ErrorLog(count={self.count}, recent={list(self._recent)!r})"


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    sessions: SessionFactory
    categoriser: Categoriser
    # The WeChat API client (bot.wechat.api.WeChatAPI) once the app has started its HTTP session.
    api: Any = None
    # Handler and job exceptions (bugs): the webhook and the scheduler append them after logging;
    # tests assert there were none. A bounded record (count and the last few as text).
    handler_errors: ErrorLog = field(default_factory=ErrorLog)
    # Work started after a commit (media downloads) that shutdown and tests wait for.
    background: set[asyncio.Task[None]] = field(default_factory=set)
    _units: UnitFactory | None = None

    @property
    def units(self) -> UnitFactory:
        """Units of work for inbound messages (``storage.unit_of_work``), made on first use."""
        if self._units is None:
            self._units = UnitFactory(self.sessions)
        return self._units

    async def close(self) -> None:
        """Release what the runtime holds open (the webhook's SQLite connection)."""
        if self._units is not None:
            await self._units.close()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.tz)
