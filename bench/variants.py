"""Run ``bot.cli`` with proposed changes patched in, to measure them before anyone edits the real files.

``BENCH_VARIANTS=name,name python bench/variants.py serve --only webhook ...`` (bench/run.py and
bench/profile.py pass ``--variant``). Each patch here mirrors a change proposed for a file; once
measured and merged, it leaves this file and the README section "性能基准" keeps its figures.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def inline_checkpoint() -> None:
    """SQLite: checkpoint the WAL on the event loop's thread, as SQLite's automatic checkpoint
    would, instead of on a worker thread (storage.sqlite_inline.WalCheckpointer)."""
    import sqlite3

    import storage.sqlite_inline as inline

    def committed(self: inline.WalCheckpointer) -> None:
        self._commits += 1
        if self._commits >= inline.CHECKPOINT_EVERY:
            self._commits = 0
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.close()

    inline.WalCheckpointer.committed = committed  # type: ignore[method-assign]


# Merged after measuring here (README "性能基准" has the figures): lean_uow, sqlite_write_lock,
# switch_interval (dropped again with the inline SQLite driver), no_access_log, sqlite_pool1.
PATCHES = {"inline_checkpoint": inline_checkpoint}


def main() -> None:
    for name in filter(None, os.environ.get("BENCH_VARIANTS", "").split(",")):
        PATCHES[name]()
    from bot.cli import main as cli

    cli(prog_name="xinfang")


if __name__ == "__main__":
    main()
