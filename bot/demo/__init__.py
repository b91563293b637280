"""Try the service without WeChat: three phones (citizen, staff, leader) on a local web page.

``xinfang demo`` runs ``run_demo``: the real service app on a fresh SQLite file, the fake WeChat
platform on both sides of it, a seeded county (``bot.demo.seed``), and the page of ``bot.demo.page``.
``xinfang chat`` is the same conversation in a terminal (``bot.demo.console``).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.demo.core import Demo, DemoClock, DemoError, Entry
from bot.demo.page import make_web_app
from bot.demo.seed import Cast, Member

__all__ = ["Cast", "Demo", "DemoClock", "DemoError", "Entry", "Member", "RunningDemo", "running_demo"]


@dataclass
class RunningDemo:
    demo: Demo
    url: str


@contextlib.asynccontextmanager
async def running_demo(
    *, host: str = "127.0.0.1", port: int = 0, data_dir: Path | None = None, **demo_kwargs: object
) -> AsyncIterator[RunningDemo]:
    """The demo and its page served on ``host:port`` (0 = a free port); the data dir is a fresh
    temporary one unless given, and a temporary one is removed afterwards."""
    own_dir = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="xinfang-demo-")) if own_dir else Path(data_dir)  # type: ignore[arg-type]
    demo = Demo(directory, **demo_kwargs)  # type: ignore[arg-type]
    runner: web.AppRunner | None = None
    try:
        await demo.start()
        runner = web.AppRunner(make_web_app(demo), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield RunningDemo(demo, f"http://{bound_host}:{bound_port}/")
    finally:
        if runner is not None:
            await runner.cleanup()
        await demo.stop()
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


async def serve_until_stopped(on_ready: Callable[[RunningDemo], None], **kwargs: object) -> None:
    """Serve until Ctrl+C or SIGTERM; either way the temporary data is removed."""
    stopped = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    async with running_demo(**kwargs) as running:  # type: ignore[arg-type]
        on_ready(running)
        await stopped.wait()
