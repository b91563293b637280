"""One inbound message's transaction: driver-SQL bookkeeping plus an ORM session opened on demand.

Most messages (a report's description, place and phone; 查询 from a stranger; events) never touch
the ORM: the webhook's own statements (``storage.repositories.inbound``) are all they need. The
ORM session, and SQLAlchemy's begin/commit machinery around it, cost more than those statements
together, so ``unit.session`` is created the first time a handler asks for it, inside the same
transaction.

* SQLite: one connection is held for the webhook's units, which take turns on it (SQLite has one
  writer anyway; queueing here is cheaper than SQLite's busy handler). The unit opens with
  ``BEGIN IMMEDIATE`` on the driver. At the end a session, if one was opened, commits first (so
  its after-commit callbacks, the media downloads, run), then the driver commits whatever is left.
  ``storage.engine``'s begin hook knows not to begin twice.
* PostgreSQL: a pooled connection and its transaction; a session opened on it joins that
  transaction, and the unit runs the session's after-commit callbacks once it has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.engine import SessionFactory, drop_after_commit, run_after_commit
from storage.repositories.inbound import InboundStore


class Unit:
    """The open transaction: ``store`` for the bookkeeping, ``session`` for handlers."""

    def __init__(self, store: InboundStore, factory: SessionFactory, conn: AsyncConnection) -> None:
        self.store = store
        self._session: AsyncSession | None = None
        self._factory = factory
        self._conn = conn

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory(bind=self._conn)
        return self._session

    @property
    def session_opened(self) -> bool:
        return self._session is not None


class UnitFactory:
    """Opens units of work for the webhook; one per runtime."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        self._engine: AsyncEngine | None = bind if isinstance(bind, AsyncEngine) else None
        self._held: AsyncConnection | None = None
        self._held_lock = asyncio.Lock()

    @property
    def _sqlite(self) -> bool:
        return self._engine is not None and self._engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Unit]:
        """A unit of work that commits when the block ends and rolls back if it raises."""
        if not self._sqlite:
            async with self._postgres_unit() as unit:
                yield unit
            return
        async with self._held_lock:
            async with self._sqlite_unit() as unit:
                yield unit

    @asynccontextmanager
    async def _postgres_unit(self) -> AsyncIterator[Unit]:
        assert self._engine is not None
        async with self._engine.connect() as conn:
            transaction = await conn.begin()
            # A session opened on ``conn`` joins this transaction: its commit would not end it.
            unit = Unit(InboundStore.for_postgres(conn), self.sessions, conn)
            committed = False
            try:
                yield unit
                if unit.session_opened:
                    await unit.session.flush()
                await transaction.commit()
                committed = True
            finally:
                if not committed and transaction.is_active:
                    await transaction.rollback()
                if unit.session_opened:
                    session = unit.session
                    if committed:
                        run_after_commit(session)
                    else:
                        drop_after_commit(session)
                    await session.close()

    @asynccontextmanager
    async def _sqlite_unit(self) -> AsyncIterator[Unit]:
        conn = await self._connection()
        driver: Any = (await conn.get_raw_connection()).driver_connection  # an InlineConnection
        db = driver._conn
        await driver._execute(db.execute, "BEGIN IMMEDIATE")
        unit = Unit(InboundStore.for_sqlite(db), self.sessions, conn)
        try:
            yield unit
            if unit.session_opened:
                await unit.session.commit()  # runs its after-commit callbacks
            # The session commits only if it ran a statement; the bookkeeping always needs this.
            await driver.commit()
            if unit.session_opened:
                run_after_commit(unit.session)
        except BaseException:
            try:
                if unit.session_opened:
                    drop_after_commit(unit.session)
                    await unit.session.rollback()
                db.rollback()
            except Exception:  # the connection is suspect: drop it, the next unit opens another
                await self._discard()
            raise
        finally:
            if unit.session_opened:
                await unit.session.close()

    async def _connection(self) -> AsyncConnection:
        if self._held is None or self._held.closed or self._held.invalidated:
            assert self._engine is not None
            self._held = await self._engine.connect()
        return self._held

    async def _discard(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            try:
                await held.invalidate()
                await held.close()
            except Exception:  # noqa: BLE001 - already broken; nothing more to release
                pass

    async def close(self) -> None:
        async with self._held_lock:
            held, self._held = self._held, None
            if held is not None:
                await held.close()
