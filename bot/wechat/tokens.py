"""The access token cache shared by every worker process, kept in the ``access_tokens`` table.

WeChat hands out one access token per account at a time, so all workers must use the same one and
only one of them may refresh it: a second refresh through ``/cgi-bin/token`` would invalidate the
token the others still hold. A worker refreshes only while it holds a short lease on the row, taken
with one atomic ``UPDATE ... WHERE lease is free``; the others poll the row until the new token is
there. This works the same on SQLite and PostgreSQL and needs no advisory locks.

No database transaction is held open while the token is fetched over HTTP: on SQLite every
transaction takes the write lock, and a slow WeChat must not block every other unit of work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot import metrics
from bot.clock import Clock
from storage.engine import SessionFactory
from storage.models.tokens import AccessToken

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class FetchedToken:
    """What the token endpoint answered."""

    token: str
    expires_in: int


# Fetches a new token from WeChat; ``force`` asks for a new token even if the current one is valid.
Fetcher = Callable[[bool], Awaitable[FetchedToken]]


class TokenUnavailable(Exception):
    """Waited for another process's refresh, but no fresh token appeared and its lease never ran out."""


class TokenCache:
    """One account's row in ``access_tokens``; ``get`` returns a fresh token, refreshing if needed."""

    def __init__(
        self,
        session_factory: SessionFactory,
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
        self._sessions = session_factory
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
        await self._ensure_row()
        for _ in range(self._max_polls):
            row = await self._read()
            if self._usable(row, force=force, stale=stale):
                return row.token  # type: ignore[return-value]
            if await self._take_lease():
                try:
                    # Someone may have finished a refresh between our read and taking the lease.
                    row = await self._read()
                    if self._usable(row, force=force, stale=stale):
                        return row.token  # type: ignore[return-value]
                    fetched = await fetch(force)
                except BaseException:
                    await self._release_lease()
                    raise
                await self._store(fetched)
                return fetched.token
            await self._sleep(self._poll)
        raise TokenUnavailable(f"no fresh access token for {self._appid} after waiting for another refresher")

    async def peek(self) -> AccessToken | None:
        """The cached row as it is, for diagnostics and tests."""
        async with self._sessions() as session:
            return await session.get(AccessToken, self._appid)

    def _usable(self, row: AccessToken, *, force: bool, stale: str | None) -> bool:
        if not row.token or row.expires_at is None:
            return False
        if force and (stale is None or row.token == stale):
            return False
        return self._clock.now() < row.expires_at - self._margin

    async def _ensure_row(self) -> None:
        async with self._sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            stmt = insert(AccessToken).values(appid=self._appid, refreshed_count=0)
            await session.execute(stmt.on_conflict_do_nothing(index_elements=["appid"]))

    async def _read(self) -> AccessToken:
        async with self._sessions() as session:
            row = (
                await session.execute(select(AccessToken).where(AccessToken.appid == self._appid))
            ).scalar_one()
            await session.commit()
            return row

    async def _take_lease(self) -> bool:
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
                update(AccessToken)
                .where(
                    AccessToken.appid == self._appid,
                    (AccessToken.lease_until.is_(None)) | (AccessToken.lease_until < now),
                )
                .values(lease_until=now + self._lease, lease_holder=self._holder)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    async def _release_lease(self) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(AccessToken)
                .where(AccessToken.appid == self._appid, AccessToken.lease_holder == self._holder)
                .values(lease_until=None, lease_holder=None)
                .execution_options(synchronize_session=False)
            )

    async def _store(self, fetched: FetchedToken) -> None:
        expires_at: datetime = self._clock.now() + timedelta(seconds=fetched.expires_in)
        async with self._sessions() as session, session.begin():
            # Written even if our lease ran out meanwhile: the token is newer than what is stored,
            # and a second refresher would only have fetched the same stable token.
            await session.execute(
                update(AccessToken)
                .where(AccessToken.appid == self._appid)
                .values(
                    token=fetched.token,
                    expires_at=expires_at,
                    lease_until=None,
                    lease_holder=None,
                    refreshed_count=AccessToken.refreshed_count + 1,
                )
                .execution_options(synchronize_session=False)
            )
        metrics.token_refreshed()
        log.info("access token refreshed for %s, valid until %s", self._appid, expires_at.isoformat())
