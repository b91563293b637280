"""Fixtures for the demo: the whole demo (service, fake platform, page) on free ports.

The demo always runs on its own fresh SQLite file (that is what ``xinfang demo`` does), whichever
database the rest of the suite uses. Its clock stands still here (``ticking=False``) and nothing
runs in the background (``pump_interval=0``): each request runs the sender itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.demo import RunningDemo, running_demo

# Monday 2026-11-23 09:00 in Asia/Shanghai: the party secretary's reception day is tomorrow.
MONDAY_0900 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class DemoClient:
    def __init__(self, running: RunningDemo, http: aiohttp.ClientSession) -> None:
        self.running = running
        self.demo = running.demo
        self.url = running.url
        self.http = http

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.url + path.lstrip("/")) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        async with self.http.post(self.url + path.lstrip("/"), json=body) as resp:
            return resp.status, await resp.json()

    async def say(self, phone: str, text: str, kind: str = "text") -> list[dict[str, Any]]:
        status, data = await self.post("/api/send", {"phone": phone, "kind": kind, "text": text})
        assert status == 200, data
        return data["entries"]

    async def phone(self, phone: str) -> list[dict[str, Any]]:
        status, data = await self.get(f"/api/messages?since=0&phone={phone}")
        assert status == 200, data
        return data["entries"]

    async def bot_texts(self, phone: str) -> list[str]:
        return [e["text"] for e in await self.phone(phone) if e["side"] == "bot"]


@pytest.fixture
async def demo_client(tmp_path: Path) -> AsyncIterator[DemoClient]:
    async with running_demo(port=0, data_dir=tmp_path / "demo", start=MONDAY_0900, ticking=False,
                            pump_interval=0) as running, aiohttp.ClientSession() as http:
        client = DemoClient(running, http)
        yield client
        errors = running.demo.errors
    assert not errors, f"handler raised: {errors}"
