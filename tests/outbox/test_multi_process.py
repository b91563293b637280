"""Two sender processes against one PostgreSQL outbox: 1,000 messages, each sent exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.simulator import FakeWeChat
from storage.engine import make_engine, make_session_factory
from storage.models import OutboxMessage
from storage.repositories.outbox import insert_message

MESSAGES = 1000
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
async def test_two_sender_processes_send_each_message_exactly_once(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several senders need PostgreSQL row locking; SQLite runs one sender")
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    queued_at = datetime.now(UTC) - timedelta(minutes=1)
    async with sessions() as session, session.begin():
        for i in range(MESSAGES):
            await insert_message(session, openid=f"o-{i % 200:03d}", kind="reply", text=f"消息{i:04d}",
                                 now=queued_at)

    async with FakeWeChat.running(clock=SystemClock()) as wx:
        env = {**os.environ, "XINFANG_DATABASE_URL": db_url, "XINFANG_WECHAT_API_BASE": wx.api_base,
               "XINFANG_WECHAT_APPID": wx.appid, "XINFANG_WECHAT_SECRET": wx.secret,
               "XINFANG_WECHAT_TOKEN": "t", "XINFANG_TEMPLATE_IDS": json.dumps({"default": "TPL"}),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        go = tmp_path / "go"
        procs, readies = [], []
        for n in range(2):
            ready = tmp_path / f"ready{n}"
            readies.append(ready)
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.outbox.sender_proc", str(ready), str(go), cwd=ROOT, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE))
        for _ in range(600):
            if all(r.exists() for r in readies):
                break
            await asyncio.sleep(0.05)
        go.write_text("go")
        outputs = [await p.communicate() for p in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode()[-2000:]
        handled = [int(out.decode().split()[-1]) for out, _ in outputs]

        sent = [c for c in wx.calls_to("message/template/send") if c.errcode == 0]
        texts = Counter(c.payload["data"]["content"]["value"] for c in sent)
    async with sessions() as session:
        statuses = dict((await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
        workers = dict((await session.execute(
            select(OutboxMessage.claimed_by, func.count()).group_by(OutboxMessage.claimed_by))).all())
    await engine.dispose()

    assert statuses == {"sent": MESSAGES}
    assert len(texts) == MESSAGES and set(texts.values()) == {1}
    assert sum(handled) == MESSAGES
    # Both processes took part (otherwise this would not test anything).
    assert len(workers) == 2 and all(handled), (handled, workers)
