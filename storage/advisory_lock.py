"""A PostgreSQL session-level advisory lock held on one dedicated connection.

The lock lives exactly as long as the connection: when the holding process dies (SIGKILL, power
cut), PostgreSQL ends its backend as soon as the socket closes and the lock is free for the next
``try_acquire``. The connection is outside any pool and never left inside a transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from storage.engine import make_engine

log = logging.getLogger(__name__)


class AdvisoryLock:
    def __init__(self, url: str, key: int) -> None:
        self.key = key
        self._engine = make_engine(url, poolclass=NullPool)
        self._conn: AsyncConnection | None = None
        self.held = False

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another session holds it or the database is away."""
        try:
            if self._conn is None:
                self._conn = await self._engine.connect()
            got = bool(await self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
            await self._conn.commit()  # the lock is session-level: it outlives this transaction
        except Exception as exc:
            log.warning("advisory lock %s: %s", self.key, f"{type(exc).__name__}: {exc}"[:200])
            await self._drop()
            return False
        self.held = got
        return got

    async def still_held(self) -> bool:
        """Whether our session is alive and holds the lock (a lost connection has lost the lock)."""
        if self._conn is None or not self.held:
            return False
        try:
            count = await self._conn.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :key"),
                {"key": self.key})
            await self._conn.commit()
        except Exception as exc:
            log.warning("advisory lock %s: connection lost: %s", self.key, f"{type(exc).__name__}: {exc}"[:200])
            await self._drop()
            return False
        self.held = bool(count)
        return self.held

    async def release(self) -> None:
        if self._conn is not None and self.held:
            try:
                await self._conn.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                await self._conn.commit()
            except Exception:  # closing the connection below releases it anyway
                log.debug("advisory unlock failed", exc_info=True)
        await self._drop()

    async def close(self) -> None:
        await self.release()
        await self._engine.dispose()

    async def _drop(self) -> None:
        self.held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.invalidate()
                await conn.close()
            except Exception:
                log.debug("closing the lock connection failed", exc_info=True)
