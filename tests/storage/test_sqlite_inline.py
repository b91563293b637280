"""The inline SQLite driver: another process's write lock is waited for without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from storage.engine import make_engine


async def test_lock_wait_leaves_the_event_loop_free(tmp_path: Path) -> None:
    path = tmp_path / "inline.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))

    holding, release = threading.Event(), threading.Event()

    def other_process() -> None:
        # Stands in for a CLI command writing to the same file: holds the write lock for 0.4 s.
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (1)")
        holding.set()
        release.wait(5)
        db.execute("COMMIT")
        db.close()

    writer = threading.Thread(target=other_process)
    writer.start()
    await asyncio.get_running_loop().run_in_executor(None, holding.wait, 5)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> float:
        started = time.monotonic()
        async with engine.begin() as conn:  # BEGIN IMMEDIATE meets the lock and retries
            await conn.execute(text("INSERT INTO t VALUES (2)"))
        done.set()
        return time.monotonic() - started

    asyncio.get_running_loop().call_later(0.4, release.set)
    waited, _ = await asyncio.wait_for(asyncio.gather(write(), ticker()), timeout=10)
    writer.join(5)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
    await engine.dispose()
    assert rows == [1, 2]
    assert waited >= 0.35
    assert ticks >= 15  # the loop kept running while the write waited for the lock


async def test_wal_starts_over_under_steady_writes(tmp_path: Path) -> None:
    """Checkpoints run while the loop keeps committing; the WAL must still start over, not grow."""
    from storage.sqlite_inline import CHECKPOINT_EVERY

    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER, pad TEXT)"))
    commits = 6 * CHECKPOINT_EVERY
    for i in range(commits):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (:x, :pad)"), {"x": i, "pad": "x" * 200})
        if i % 50 == 0:
            await asyncio.sleep(0)  # let the checkpoint thread's pass overlap the next commits
    wal_bytes = (tmp_path / "wal.db-wal").stat().st_size
    db = sqlite3.connect(path)
    _busy, frames, _copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    db.close()
    await engine.dispose()
    # Each commit appends at least one frame: a WAL that never started over holds them all.
    assert frames < 2 * CHECKPOINT_EVERY, frames
    assert wal_bytes < 2 * CHECKPOINT_EVERY * 4200, wal_bytes
