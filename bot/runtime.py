"""The runtime object handed to handlers, services and jobs: settings, clock, DB, rules, API client.

One is built per process by the app factory (or by a test); nothing reaches for globals instead.
"""

from __future__ import annotations

import asyncio
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


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    sessions: SessionFactory
    categoriser: Categoriser
    # The WeChat API client (bot.wechat.api.WeChatAPI) once the app has started its HTTP session.
    api: Any = None
    # Handler and job exceptions (bugs): the webhook and the scheduler append them after logging;
    # tests assert there were none.
    handler_errors: list[BaseException] = field(default_factory=list)
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
