"""End-to-end harness: the real app on 127.0.0.1 with the fake WeChat platform on both sides.

``service`` starts the fake platform (outbound API + inbound pusher), then the service app pointed
at it, on a real database (see ``db_url``). Tests talk to it only over HTTP, as WeChat would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import RUNTIME, create_app
from bot.clock import FakeClock
from bot.dispatch import Dispatcher
from bot.runtime import Runtime
from bot.settings import Settings
from bot.simulator import FakeUser, FakeWeChat, new_aes_key

TOKEN = "xinfang-test-token"


def make_settings(db_url: str, wx: FakeWeChat, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        wechat_token=TOKEN, wechat_appid=wx.appid, wechat_secret=wx.secret, wechat_aes_key=new_aes_key(),
        wechat_api_base=wx.api_base, database_url=db_url, media_dir=tmp_path / "media", api_timeout_seconds=3.0,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Service:
    """A running service plus the fake platform around it."""

    settings: Settings
    clock: FakeClock
    wx: FakeWeChat
    app: web.Application
    runner: web.AppRunner
    url: str
    _users: dict[tuple[str, bool], FakeUser] = field(default_factory=dict)

    @property
    def rt(self) -> Runtime:
        return self.app[RUNTIME]

    def user(self, openid: str, *, safe: bool = True) -> FakeUser:
        """A WeChat user pushing to the webhook, in safe (AES) mode by default."""
        key = (openid, safe)
        if key not in self._users:
            aes = self.settings.wechat_aes_key if safe else None
            self._users[key] = self.wx.user(openid, self.url, self.settings.wechat_token, aes)
        return self._users[key]

    async def say(self, openid: str, text: str) -> str:
        """Send a text message and return the passive reply's text ("" for none)."""
        result = await self.user(openid).text(text)
        assert result.status == 200, (result.status, result.text)
        return result.reply_text or ""

    async def deliver_outbox(self) -> int:
        """One pass of the outbox sender; returns how many messages it handled."""
        from bot.outbox_sender import send_due

        return await send_due(self.rt)

    def inbox(self, openid: str) -> list[str]:
        """Texts the service sent to ``openid`` through the API (customer-service or template)."""
        return self.wx.inbox_texts(openid)

    async def session(self):  # type: ignore[no-untyped-def]
        return self.rt.sessions()


@pytest.fixture
async def service(db_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(db_url, clock, tmp_path) as svc:
        yield svc


@asynccontextmanager
async def running_service(db_url: str, clock: FakeClock, tmp_path: Path, *, dispatcher: Dispatcher | None = None,
                          **overrides: Any) -> AsyncIterator[Service]:
    """The ``service`` fixture with other settings (``wechat_aes_key=""`` for plaintext mode...)."""
    async with FakeWeChat.running(clock=clock) as wx:
        settings = make_settings(db_url, wx, tmp_path, **overrides)
        app = create_app(settings, clock, components={"webhook"}, dispatcher=dispatcher)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        svc = Service(settings=settings, clock=clock, wx=wx, app=app, runner=runner,
                      url=f"http://{host}:{port}/wechat")
        try:
            yield svc
        finally:
            errors = list(svc.rt.handler_errors)
            await runner.cleanup()
        assert not errors, f"handler raised: {errors!r}"
