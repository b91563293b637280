"""One ``xinfang serve`` (or other CLI) process for tests that need a real second process.

The environment holds only this test's ``XINFANG_*`` values (nothing from the caller's shell), the
fake platform's credentials, and the working directory the test chooses.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.simulator import FakeWeChat

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "xinfang-process-token"


def process_env(db_url: str, wx: FakeWeChat | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        "XINFANG_CONFIG": "no-such-config.toml",
        "XINFANG_DATABASE_URL": db_url,
        "XINFANG_LOG_LEVEL": "WARNING",
    })
    if wx is not None:
        env.update({"XINFANG_WECHAT_TOKEN": TOKEN, "XINFANG_WECHAT_APPID": wx.appid,
                    "XINFANG_WECHAT_SECRET": wx.secret, "XINFANG_WECHAT_API_BASE": wx.api_base})
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          timeout=timeout)


async def wait_ready(base: str, proc: asyncio.subprocess.Process, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise AssertionError(f"process exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            try:
                async with http.get(f"{base}/healthz") as resp:
                    if resp.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"not ready after {timeout}s:\n{log.read_text(errors='replace')}")


@dataclass
class Served:
    base: str
    log: Path
    process: asyncio.subprocess.Process


@asynccontextmanager
async def serving(env: dict[str, str], cwd: Path, *components: str) -> AsyncIterator[Served]:
    """``xinfang serve --only …`` in ``cwd`` (output in ``Served.log``); SIGTERM (then SIGKILL) at exit."""
    port = free_port()
    args = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"]
    for component in components:
        args += ["--only", component]
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(*args, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, proc, log)
        yield Served(base, log, proc)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
