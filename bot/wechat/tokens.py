"""The access token cache shared by every worker process, kept in a ``TokenStore`` passed in.

WeChat hands out one access token per account at a time, so all workers must use the same one and
only one of them may refresh it: a second refresh through ``/cgi-bin/token`` would invalidate the
token the others still hold. A worker refreshes only while it holds a short lease on the row, taken
with one atomic ``UPDATE ... WHERE lease is free``; the others poll the row until the new token is
there. The store is an interface: the database implements it (``storage.repositories.tokens``,
one atomic ``UPDATE`` per lease, the same on SQLite and PostgreSQL, no advisory locks), and this
module imports no storage.

No database transaction is held open while the token is fetched over HTTP: on SQLite every
transaction takes the write lock, and a slow WeChat must not block every other unit of work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot import metrics
from bot.clock import Clock

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class FetchedToken:
    """What the token endpoint answered."""

    token: str
    expires_in: int


# Fetches a new token from WeChat; ``force`` asks for a new token even if the current one is valid.
Fetcher = Callable[[bool], Awaitable[FetchedToken]]


class StoredToken(Protocol):
    """One account's cached token as the store holds it."""

    token: str | None
    expires_at: datetime | None


class TokenStore(Protocol):
    """Where the shared token and the refresh lease live (one row per appid)."""

    async def ensure(self, appid: str) -> None:
        """Create the account's (empty) row if it is missing."""

    async def read(self, appid: str) -> StoredToken:
        """The account's row, freshly read."""

    async def take_lease(self, appid: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the refresh lease if nobody holds a live one; whether we got it."""

    async def release_lease(self, appid: str, holder: str) -> None:
        """Give the lease back (if ``holder`` still has it)."""

    async def save(self, appid: str, token: str, expires_at: datetime) -> None:
        """Store a new token and free the lease."""

    async def peek(self, appid: str) -> Any:
        """The row as it is (diagnostics and tests), or None."""


class TokenUnavailable(Exception):
    """Waited for another process's refresh, but no fresh token appeared and its lease never ran out."""


class TokenCache:
    """One account's cached token; ``get`` returns a fresh token, refreshing if needed."""

    def __init__(
        self,
        store: TokenStore,
        appid: str,
        clock: Clock,
        holder: str,
        *,
        refresh_margin: timedelta = timedelta(minutes=5),
        lease: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.05,
        max_wait_seconds: float = 60.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._store = store
        self._appid = appid
        self._clock = clock
        self._holder = holder[:64]
        # WeChat's stable_token hands out a new token only in the last five minutes of the old one;
        # refreshing in that window means callers never see a token that dies mid-request.
        self._margin = refresh_margin
        self._lease = lease
        self._poll = poll_interval
        # Counted in polls, not clock time: with a FakeClock time stands still while we wait.
        self._max_polls = max(1, int(max_wait_seconds / poll_interval))
        self._sleep = sleep

    async def get(self, fetch: Fetcher, *, force: bool = False, stale: str | None = None) -> str:
        """A token that is valid for at least the refresh margin.

        ``force`` replaces the token ``stale`` that WeChat just rejected. If another process has
        already replaced it, that newer token is returned without a second refresh.
        """
        await self._store.ensure(self._appid)
        for _ in range(self._max_polls):
            row = await self._store.read(self._appid)
            if self._usable(row, force=force, stale=stale):
                return row.token  # type: ignore[return-value]
            now = self._clock.now()
            if await self._store.take_lease(self._appid, self._holder, now, now + self._lease):
                try:
                    # Someone may have finished a refresh between our read and taking the lease.
                    row = await self._store.read(self._appid)
                    if self._usable(row, force=force, stale=stale):
                        return row.token  # type: ignore[return-value]
                    fetched = await fetch(force)
                except BaseException:
                    await self._store.release_lease(self._appid, self._holder)
                    raise
                expires_at: datetime = self._clock.now() + timedelta(seconds=fetched.expires_in)
                # Written even if our lease ran out meanwhile: the token is newer than what is stored,
                # and a second refresher would only have fetched the same stable token.
                await self._store.save(self._appid, fetched.token, expires_at)
                metrics.token_refreshed()
                log.info("access token refreshed for %s, valid until %s", self._appid, expires_at.isoformat())
                return fetched.token
            await self._sleep(self._poll)
        raise TokenUnavailable(f"no fresh access token for {self._appid} after waiting for another refresher")

    async def peek(self) -> Any:
        """The cached row as it is, for diagnostics and tests."""
        return await self._store.peek(self._appid)

    def _usable(self, row: StoredToken, *, force: bool, stale: str | None) -> bool:
        if not row.token or row.expires_at is None:
            return False
        if force and (stale is None or row.token == stale):
            return False
        return self._clock.now() < row.expires_at - self._margin
