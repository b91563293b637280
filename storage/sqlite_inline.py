"""SQLite for asyncio without a thread per connection: statements run on the event loop's thread.

aiosqlite runs every call on a worker thread and wakes the loop for each result. A webhook message
is some ten such calls, and on a 2-core machine the hand-offs (thread wake-ups, GIL transfers) cost
far more than SQLite itself: about 5 ms of CPU against 60 µs for the same statements run directly
(bench/README figures, ``bench/profile.py``). A statement on a local WAL database is a short
CPU-bound call, so ``InlineConnection`` keeps aiosqlite's API, which SQLAlchemy's ``aiosqlite``
dialect drives, and runs each call where it is made. What could block the loop is handled apart:

* Lock waits. The connection's ``busy_timeout`` is 0, so a statement that meets another process's
  write lock fails at once with SQLITE_BUSY; ``_execute`` then sleeps *asynchronously* and tries
  again, up to ``BUSY_DEADLINE`` seconds (the same patience as the old 30 s busy timeout).
  A statement that failed with SQLITE_BUSY did nothing, so trying it again is safe.
* Checkpoints. SQLite copies the WAL back into the database file (with fsyncs) during a commit
  once the WAL passes 1,000 pages. Here automatic checkpoints are off and ``WalCheckpointer``
  runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a worker thread every ``CHECKPOINT_EVERY`` commits
  (or on the first commit ``CHECKPOINT_AFTER_SECONDS`` after the last one). The loop keeps
  committing while that runs, so it always ends some frames short; SQLite starts the WAL over
  (instead of appending to it) only when a transaction begins with every frame copied back, so
  without more the WAL grew for good under steady load (0.9 GB after a minute of the benchmark)
  and every read searched it, slower and slower. The first commit after the thread's pass
  therefore copies the few frames left, on the loop, with no transaction open in this process
  (every transaction here takes the write lock, so the one just committed was the only one): the
  next transaction starts the WAL over.

Long queries (a year's statistics, a ledger export) still run on the loop's thread; the CLI runs
those in its own process, and the chat's 统计 reads indexed, date-bounded rows.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_DEADLINE = 30.0
CHECKPOINT_EVERY = 500
CHECKPOINT_AFTER_SECONDS = 30.0  # a quiet server still folds in what CLI runs or a slow day wrote
_BUSY_WORDS = ("locked", "busy")


class WalCheckpointer:
    """Runs passive WAL checkpoints for one database file on a worker thread, one at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._commits = 0
        self._last = time.monotonic()
        self._running = False  # at most one checkpoint at a time: set here, cleared by the worker
        self._finish = False  # set by the worker when its pass is done: the next commit finishes it

    def committed(self, conn: sqlite3.Connection) -> None:
        """Called on the loop after each commit on ``conn`` (no transaction is open on it now)."""
        if self._finish:
            self._finish = False
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:
                log.info("WAL checkpoint of %s not finished: %s", self.path, exc)
        self._commits += 1
        due = self._commits >= CHECKPOINT_EVERY or time.monotonic() - self._last >= CHECKPOINT_AFTER_SECONDS
        if due and not self._running:
            self._commits = 0
            self._last = time.monotonic()
            self._running = True
            try:
                asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
            except RuntimeError:  # no running loop (interpreter shutting down): next commit tries
                self._running = False

    def _checkpoint(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                conn.close()
            self._finish = True
        except sqlite3.Error as exc:  # a checkpoint is housekeeping: the next one catches up
            log.info("WAL checkpoint of %s skipped: %s", self.path, exc)
        finally:
            self._running = False


class _InlineQueue:
    """Stands in for aiosqlite's queue to its worker thread: runs the call at once.

    SQLAlchemy's adapter puts the isolation-level change straight onto that queue.
    """

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite does
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection API with every call run on the caller's thread."""

    def __init__(self, path: str, checkpointer: WalCheckpointer | None) -> None:
        super().__init__(lambda: _connect(path), iter_chunk_size=64)
        self._tx = _InlineQueue()  # type: ignore[assignment]
        self._checkpointer = checkpointer

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._connect().__await__()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = await self._retry_busy(self._connector)
        return self

    async def _execute(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return await self._retry_busy(fn, *args, **kwargs)

    async def _retry_busy(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        deadline = 0.0
        pause = 0.001
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not any(word in str(exc) for word in _BUSY_WORDS):
                    raise
                now = time.monotonic()
                deadline = deadline or now + BUSY_DEADLINE
                if now >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def commit(self) -> None:
        await self._execute(self._conn.commit)
        if self._checkpointer is not None:
            self._checkpointer.committed(self._conn)

    def stop(self) -> None:  # type: ignore[override]
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def _connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)


def inline_creator(path: str) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: one checkpointer per database file."""
    checkpointer = WalCheckpointer(path) if path and path != ":memory:" else None

    async def create() -> InlineConnection:
        return await InlineConnection(path, checkpointer)

    return create
