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


def no_access_log() -> None:
    """aiohttp's access log (one formatted INFO line per request) off in ``serve``."""
    from aiohttp import web

    original = web.run_app

    def run_app(app: Any, **kwargs: Any) -> Any:
        kwargs["access_log"] = None
        return original(app, **kwargs)

    web.run_app = run_app


def sqlite_write_lock() -> None:
    """SQLite: one asyncio.Lock per process around the webhook's unit of work, so BEGIN IMMEDIATE
    never finds the database locked by a sibling connection of the same process (and never sleeps)."""
    import asyncio

    import bot.webhook as webhook

    original = webhook.Webhook._process_once
    lock = asyncio.Lock()

    async def _process_once(self: Any, inbound: Any) -> str:
        if not self.rt.settings.database_url.startswith("sqlite"):
            return await original(self, inbound)
        async with lock:
            return await original(self, inbound)

    webhook.Webhook._process_once = _process_once


PATCHES = {"sqlite_write_lock": sqlite_write_lock, "sqlite_pool1": sqlite_pool1, "no_access_log": no_access_log}


def main() -> None:
    for name in filter(None, os.environ.get("BENCH_VARIANTS", "").split(",")):
        PATCHES[name]()
    from bot.cli import main as cli

    cli(prog_name="xinfang")


if __name__ == "__main__":
    main()
