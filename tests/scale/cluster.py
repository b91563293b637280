"""One production-like deployment made of real OS processes, for the scale-out tests.

``Cluster`` creates its own PostgreSQL database (schema from the models), runs the fake WeChat
platform in the test process (the workers reach it over HTTP like the real api.weixin.qq.com), and
starts ``python -m bot.cli serve --only …`` processes the way the systemd units do: several webhook
workers, one scheduler, outbox senders. Processes can be stopped with SIGTERM, killed with SIGKILL
and started again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.simulator import FakeWeChat, WebhookSender, new_aes_key
from bot.simulator.platform import TOKEN_ENDPOINTS, endpoint_key
from tests import dbs

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xinfang-scale-token"
TEMPLATE_ID = "TPL_SCALE_DEFAULT"
READY_TIMEOUT = 90.0


class CountingWeChat(FakeWeChat):
    """The fake platform, also counting token requests that are in flight at the same moment.

    Token requests can be slowed down (``token_delay``) so two processes refreshing at once
    would overlap here and show up in ``max_token_in_flight``.
    """

    def __init__(self, *args: Any, token_delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token_delay = token_delay
        self.token_in_flight = 0
        self.max_token_in_flight = 0
        self.token_requests = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        key = endpoint_key(request.match_info["tail"])
        if key not in TOKEN_ENDPOINTS:
            return await super()._handle(request)
        self.token_requests += 1
        self.token_in_flight += 1
        self.max_token_in_flight = max(self.max_token_in_flight, self.token_in_flight)
        try:
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            return await super()._handle(request)
        finally:
            self.token_in_flight -= 1


def free_port() -> int:
    """A free port below the ephemeral range: a worker restarted on its port must not find it
    taken by one of the thousands of outgoing connections the load makes meanwhile."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(max(1025, low - 12000), low), 200):
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            return port
    raise RuntimeError("no free port")


@dataclass
class Proc:
    """One ``xinfang serve`` process."""

    name: str
    components: tuple[str, ...]
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    exit_codes: list[int] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/wechat"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log_tail(self, chars: int = 3000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}) ---\n{text[-chars:]}"


class Cluster:
    def __init__(self, db_url: str, wx: CountingWeChat, directory: Path) -> None:
        self.db_url = db_url
        self.wx = wx
        self.dir = directory
        self.aes_key = new_aes_key()
        self.procs: dict[str, Proc] = {}
        # Settings a test adds for every process (e.g. a timezone).
        self.extra_env: dict[str, str] = {}
        self._http: aiohttp.ClientSession | None = None

    # ---- environment ---------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        # Only the rules file may come from the caller's environment; everything else is this cluster's.
        env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_") or k == "XINFANG_RULES_FILE"}
        env.update({
            "XINFANG_CONFIG": str(self.dir / "no-config.toml"),  # never pick up a local xinfang.toml
            "XINFANG_DATABASE_URL": self.db_url,
            "XINFANG_WECHAT_TOKEN": TOKEN,
            "XINFANG_WECHAT_APPID": self.wx.appid,
            "XINFANG_WECHAT_SECRET": self.wx.secret,
            "XINFANG_WECHAT_AES_KEY": self.aes_key,
            "XINFANG_WECHAT_API_BASE": self.wx.api_base,
            "XINFANG_API_TIMEOUT_SECONDS": "5",
            "XINFANG_MEDIA_DIR": str(self.dir / "media"),
            "XINFANG_TEMPLATE_IDS": json.dumps({"default": TEMPLATE_ID}),
            "XINFANG_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self._http

    def sender(self, http: aiohttp.ClientSession, *, timeout: float = 15.0) -> WebhookSender:
        """Signs and encrypts pushes like WeChat; the URL is chosen per request by the load driver."""
        wx = self.wx
        return WebhookSender(http, "", TOKEN, wx.appid, self.aes_key, original_id=wx.original_id, timeout=timeout,
                             on_media=lambda media_id, data, content_type: wx.register_media(data, content_type,
                                                                                            media_id))

    # ---- processes -----------------------------------------------------------------------------
    def add(self, name: str, *components: str) -> Proc:
        proc = Proc(name, components, free_port(), self.dir / f"{name}.log")
        self.procs[name] = proc
        return proc

    def webhooks(self) -> list[Proc]:
        return [p for p in self.procs.values() if p.components == ("webhook",)]

    async def spawn(self, proc: Proc) -> None:
        args = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(proc.port),
                "--no-migrate"]
        for component in proc.components:
            args += ["--only", component]
        proc.starts += 1
        with proc.log.open("ab") as log:
            log.write(f"\n=== start #{proc.starts} at {time.time():.3f} ===\n".encode())
            proc.process = await asyncio.create_subprocess_exec(
                *args, cwd=ROOT, env=self.env(), stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)

    async def wait_ready(self, proc: Proc, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.alive:
                code = proc.process.returncode  # type: ignore[union-attr]
                raise AssertionError(f"{proc.name} exited with {code} during start-up\n{proc.log_tail()}")
            try:
                async with self.http.get(f"{proc.base}/healthz") as resp:
                    if resp.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"{proc.name} not ready after {timeout}s\n{proc.log_tail()}")

    async def start(self, *procs: Proc) -> None:
        targets = procs or tuple(self.procs.values())
        for proc in targets:
            await self.spawn(proc)
        await asyncio.gather(*(self.wait_ready(p) for p in targets))

    async def _wait_exit(self, proc: Proc, timeout: float) -> int:
        assert proc.process is not None
        try:
            code = await asyncio.wait_for(proc.process.wait(), timeout)
        except TimeoutError:
            proc.process.kill()
            code = await proc.process.wait()
            proc.exit_codes.append(code)
            raise AssertionError(f"{proc.name} did not stop within {timeout}s\n{proc.log_tail()}") from None
        proc.exit_codes.append(code)
        return code

    async def terminate(self, proc: Proc, timeout: float = 20.0) -> int:
        """SIGTERM, as systemd stops a unit; returns the exit code."""
        assert proc.process is not None
        proc.process.send_signal(signal.SIGTERM)
        return await self._wait_exit(proc, timeout)

    async def kill(self, proc: Proc) -> int:
        """SIGKILL: no clean-up at all, as after an OOM kill or a power cut of one machine."""
        assert proc.process is not None
        proc.process.kill()
        return await self._wait_exit(proc, 10.0)

    async def stop_all(self) -> dict[str, int]:
        codes = {}
        for proc in self.procs.values():
            if proc.alive:
                proc.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for proc in self.procs.values():
            if proc.process is not None and proc.process.returncode is None:
                codes[proc.name] = await self._wait_exit(proc, 20.0)
        return codes

    def tracebacks(self) -> list[str]:
        """Log tails of processes that logged an exception (a handler bug shows up here)."""
        return [p.log_tail() for p in self.procs.values()
                if p.log.exists() and "Traceback" in p.log.read_text(errors="replace")]

    def all_logs(self) -> str:
        return "\n".join(p.log_tail(1500) for p in self.procs.values())


@asynccontextmanager
async def cluster(directory: Path, *, token_delay: float = 0.0) -> AsyncIterator[Cluster]:
    """A fresh database, the fake platform and an (empty) process table; everything torn down after."""
    base = dbs.postgres_base_url()
    assert base is not None
    db_url = await dbs.create_postgres_database(base)
    try:
        await dbs.create_schema(db_url)
        async with CountingWeChat.running(token_delay=token_delay) as wx:
            c = Cluster(db_url, wx, directory)
            try:
                yield c
            finally:
                for proc in c.procs.values():
                    if proc.alive:
                        proc.process.kill()  # type: ignore[union-attr]
                        await proc.process.wait()  # type: ignore[union-attr]
                if c._http is not None:
                    await c._http.close()
    finally:
        await dbs.drop_postgres_database(base, db_url)
