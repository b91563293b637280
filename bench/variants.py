"""Run ``bot.cli`` with proposed changes patched in, to measure them before anyone edits the real files.

``BENCH_VARIANTS=name,name python bench/variants.py serve --only webhook ...`` (bench/run.py and
bench/profile.py pass ``--variant``). Each patch here mirrors a change proposed for a file that
another engineer owns; the README section "性能基准" gives the numbers with and without.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def sqlite_pool1() -> None:
    """SQLite: one pooled connection per process, so writers queue in asyncio instead of in SQLite's
    busy handler (which sleeps 1..100 ms between retries while another connection holds the lock)."""
    import storage.engine as engine

    original = engine.make_engine

    def make_engine(url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        if url.startswith("sqlite"):
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 60)
        return original(url, **kwargs)

    engine.make_engine = make_engine
    import bot.app

    bot.app.make_engine = make_engine


# lean_uow, sqlite_write_lock, switch_interval and no_access_log were measured here and then merged
# into bot/webhook.py, bot/runtime.py and bot/cli/serve.py (README "性能基准" has the figures).
PATCHES = {"sqlite_pool1": sqlite_pool1}


def main() -> None:
    for name in filter(None, os.environ.get("BENCH_VARIANTS", "").split(",")):
        PATCHES[name]()
    from bot.cli import main as cli

    cli(prog_name="xinfang")


if __name__ == "__main__":
    main()
