"""Async engine and session factory for SQLite (WAL, embedded default) and PostgreSQL (asyncpg).

SQLite connections are ``storage.sqlite_inline.InlineConnection``: statements run on the event
loop's thread (that module says why and what keeps the loop from blocking).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from storage.sqlite_inline import inline_creator

SessionFactory = async_sessionmaker[AsyncSession]


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, async_creator=inline_creator(make_url(url).database or ""), **kwargs)
        _configure_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    # No ping on checkout: it costs three round trips (BEGIN, ping, ROLLBACK) per unit of work, a
    # third of a webhook message's. A connection the server dropped fails on use, is invalidated,
    # and the caller retries (the webhook does; WeChat redelivers anyway).
    kwargs.setdefault("pool_pre_ping", False)
    return create_async_engine(url, **kwargs)


WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so BEGIN IMMEDIATE can serialise writers.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # Lock waits are retried asynchronously by the inline driver; checkpoints run off the loop.
        cur.execute("PRAGMA busy_timeout=0")
        cur.execute("PRAGMA wal_autocheckpoint=0")
        # When a writer starts the WAL over, a file grown past this is cut back (bytes).
        cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every transaction takes the write lock up front: avoids SQLITE_BUSY upgrade deadlocks
        # between concurrent read-then-write units of work.
        # A webhook unit of work may have begun on the driver already (storage.unit_of_work).
        if not conn.connection.driver_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class AppSession(Session):
    """The sync session under every ``AsyncSession`` here: runs ``call_after_commit`` callbacks."""


_AFTER_COMMIT = "after_commit_callbacks"


def call_after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the transaction ``session`` writes in has committed; never if it rolls back.

    A session that owns its transaction runs it on commit; a session joined to a unit of work's
    transaction (``storage.unit_of_work``) leaves it to the unit, which runs it after its commit.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def run_after_commit(session: Session | AsyncSession) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


def drop_after_commit(session: Session | AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT, None)


@event.listens_for(AppSession, "after_commit")
def _after_commit(session: Session) -> None:
    run_after_commit(session)


@event.listens_for(AppSession, "after_rollback")
def _after_rollback(session: Session) -> None:
    drop_after_commit(session)


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=AppSession)


def is_postgres(session_or_engine: Any) -> bool:
    bind = getattr(session_or_engine, "bind", session_or_engine)
    return bind.dialect.name == "postgresql"
