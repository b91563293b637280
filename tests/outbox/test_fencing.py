"""Outbox fencing (issue #20 item 6): with a slow WeChat API and a short lease, a second sender
never delivers a row the first one still holds; each row goes out exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import SystemClock
from bot.outbox_sender import send_due
from bot.runtime import Runtime
from bot.settings import Settings
from bot.simulator import FakeWeChat
from bot.wechat.api import WeChatAPI
from storage.engine import make_engine, make_session_factory
from storage.models import OutboxMessage
from storage.repositories.outbox import insert_message
from storage.repositories.tokens import SqlTokenStore

API_SECONDS = 4.0
LEASE_SECONDS = 1.0
ROWS = 2


def _runtime(db_url: str, wx: FakeWeChat, http: aiohttp.ClientSession, engines: list[AsyncEngine]) -> Runtime:
    settings = Settings(database_url=db_url, wechat_api_base=wx.api_base, wechat_appid=wx.appid,
                        wechat_secret=wx.secret, wechat_token="t", template_ids={"default": "TPL"},
                        api_timeout_seconds=API_SECONDS * 3, outbox_lease_seconds=LEASE_SECONDS)
    clock = SystemClock()
    engines.append(make_engine(db_url))
    rt = Runtime(settings=settings, clock=clock, sessions=make_session_factory(engines[-1]), categoriser=None)
    rt.api = WeChatAPI(settings, SqlTokenStore(rt.sessions), http, clock)
    return rt


@pytest.mark.timeout(60)
async def test_slow_api_and_short_lease_second_sender_never_sends_a_held_row(db_url: str) -> None:
    async with FakeWeChat.running(clock=SystemClock()) as wx, aiohttp.ClientSession() as http:
        engines: list[AsyncEngine] = []
        first, second = _runtime(db_url, wx, http, engines), _runtime(db_url, wx, http, engines)
        async with first.sessions() as session, session.begin():
            for i in range(ROWS):
                await insert_message(session, openid=f"o-fence-{i}", kind="reply", text=f"通知{i}",
                                     now=datetime.now(UTC) - timedelta(seconds=5))
        wx.issue_token()
        wx.delay_next("message/template/send", API_SECONDS, count=None)

        a = asyncio.create_task(send_due(first, worker="sender-a"))
        # Sender B polls all along, well past the first sender's original lease.
        while not a.done():
            await asyncio.sleep(LEASE_SECONDS / 2)
            await send_due(second, worker="sender-b")
        await a
        await send_due(second, worker="sender-b")

        sent = [c for c in wx.calls_to("message/template/send") if c.errcode == 0]
        counts = Counter(c.payload["data"]["content"]["value"] for c in sent)
        async with first.sessions() as session:
            rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for engine in engines:
            await engine.dispose()

    assert counts == Counter({f"通知{i}": 1 for i in range(ROWS)}), counts
    assert [r.status for r in rows] == ["sent"] * ROWS
