"""A separate OS process running outbox sender passes, for the multi-process exactly-once test.

Usage: ``python -m tests.outbox.sender_proc <ready-file> <go-file>`` with ``XINFANG_*`` settings in
the environment. Writes the ready file once connected, waits for the go file, then sends until
several passes in a row find nothing, and prints how many messages it handled.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp

from bot.clock import SystemClock
from bot.outbox_sender import default_worker_name, send_due
from bot.runtime import Runtime
from bot.settings import Settings
from bot.wechat.api import WeChatAPI
from storage.engine import make_engine, make_session_factory
from storage.repositories.tokens import SqlTokenStore


async def main(ready: Path, go: Path) -> int:
    settings = Settings()
    engine = make_engine(settings.database_url)
    clock = SystemClock()
    rt = Runtime(settings=settings, clock=clock, sessions=make_session_factory(engine), categoriser=None)
    handled = 0
    async with aiohttp.ClientSession() as http:
        rt.api = WeChatAPI(settings, SqlTokenStore(rt.sessions), http, clock)
        ready.write_text("ready")
        while not go.exists():
            await asyncio.sleep(0.01)
        worker = default_worker_name()
        idle = 0
        while idle < 5:
            count = await send_due(rt, limit=10, worker=worker)
            handled += count
            idle = 0 if count else idle + 1
            if not count:
                await asyncio.sleep(0.05)
    await engine.dispose()
    return handled


if __name__ == "__main__":
    print(asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]))))
