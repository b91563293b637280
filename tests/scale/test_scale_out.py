"""The production topology on one PostgreSQL: 3 webhook workers, 1 scheduler, 2 outbox senders.

The fake platform pushes a mixed load (subscribes, report flows with photos, queries) with WeChat's
retries — exact replays after the answer and the same push to several workers at once — while
notifications are queued and the platform revokes access tokens and answers "system busy".
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.simulator import SAMPLE_JPEG
from storage.engine import make_engine, make_session_factory
from storage.models import Case, CaseEvent, Conversation, Follower, InboundMessage, OutboxMessage
from storage.repositories.outbox import insert_message
from tests.scale.cluster import Cluster, cluster
from tests.scale.load import Driver, Message, description, phone, place

pytestmark = [pytest.mark.slow, pytest.mark.timeout(170)]

CITIZENS = 60
CONCURRENCY = 20
NOTES_PER_CITIZEN = 2
REVOCATIONS = 2


async def _citizen(d: Driver, i: int, numbers: dict[str, str]) -> None:
    oid = f"o-scale-{i:04d}"
    steps = [("describe", d.text(oid, description(i)))]
    if i % 4 == 0:
        steps.append(("image", d.image(oid, f"MEDIA_scale_{i:04d}", SAMPLE_JPEG)))
    steps += [("place", d.text(oid, place(i))), ("phone", d.text(oid, phone(i))), ("confirm", d.text(oid, "确认"))]
    if i % 3 == 0:
        steps.append(("query", d.text(oid, "查询")))

    if i % 5 == 0:
        # A new follower's subscribe and first message pushed at the same moment to two workers.
        sub, first = await asyncio.gather(d.push("subscribe", d.subscribe(oid), i),
                                          d.push(steps[0][0], steps[0][1], i + 1))
        d.check(sub)
        d.check(first)
        steps = steps[1:]
    else:
        d.check(await d.push("subscribe", d.subscribe(oid), i))
    for k, (step, message) in enumerate(steps, start=1):
        worker = i + k  # every step on another worker than the step before
        mode = (i + k) % 4
        if mode == 2:
            record: Message = await d.push_concurrently(step, message, [worker, worker + 1, worker + 2])
        else:
            record = await d.push(step, message, worker)
            if mode == 1:
                await d.replay_after(record, worker + 1)
                await d.replay_after(record, worker + 2)
        if not d.check(record):
            return  # the conversation went wrong; the problem is recorded
        if step == "confirm":
            numbers[oid] = record.reply.split("编号 ", 1)[1].split("，", 1)[0]
        if step == "query" and numbers.get(oid, "?") not in record.reply:
            d.stats.problems.append(f"{oid}: query does not list {numbers.get(oid)}: {record.reply!r}")


async def _queue_notifications(sessions, done: asyncio.Event) -> int:  # type: ignore[no-untyped-def]
    """While the load runs, queue notifications for citizens who already follow the account."""
    queued: set[str] = set()
    while True:
        finished = done.is_set()
        async with sessions() as session, session.begin():
            openids = list(await session.scalars(select(Follower.openid)))
            for oid in sorted(set(openids) - queued):
                for n in range(NOTES_PER_CITIZEN):
                    await insert_message(session, openid=oid, kind="reply", text=f"通知{n}：{oid}",
                                         now=datetime.now(UTC), dedupe_key=f"scale:{oid}:{n}")
                queued.add(oid)
        if finished:
            return len(queued) * NOTES_PER_CITIZEN
        await asyncio.sleep(0.2)


async def _platform_trouble(c: Cluster, done: asyncio.Event) -> int:
    """Revoke every token twice (as a refresh elsewhere would) and answer "system busy" a few times."""
    wx = c.wx
    revoked = 0
    while wx.token_issuances < 1 and not done.is_set():
        await asyncio.sleep(0.05)
    wx.fail_next("message/custom/send", -1, count=3)
    for _ in range(REVOCATIONS):
        await asyncio.sleep(1.0)
        if done.is_set():
            break
        wx.revoke_all_tokens()
        revoked += 1
        # The next revocation only after this one's refresh: one refresh per revocation is expected.
        while wx.token_issuances < 1 + revoked and not done.is_set():
            await asyncio.sleep(0.05)
    return revoked


async def _wait_outbox_drained(sessions, expected_at_least: int, timeout: float = 60.0) -> dict[str, int]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    statuses: dict[str, int] = {}
    while time.monotonic() < deadline:
        async with sessions() as session:
            statuses = dict((await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
        if sum(statuses.values()) >= expected_at_least and set(statuses) <= {"sent", "failed"}:
            return statuses
        await asyncio.sleep(0.2)
    return statuses


async def test_three_webhooks_scheduler_and_two_senders_on_one_database(tmp_path: Path) -> None:
    async with cluster(tmp_path, token_delay=0.2) as c:
        for n in range(3):
            c.add(f"webhook{n}", "webhook")
        c.add("scheduler", "scheduler")
        c.add("sender0", "sender")
        c.add("sender1", "sender")
        await c.start()
        webhooks = [(p.name, p.url) for p in c.webhooks()]

        engine = make_engine(c.db_url)
        sessions = make_session_factory(engine)
        numbers: dict[str, str] = {}
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                d = Driver(c.sender(http), lambda: webhooks)
                done = asyncio.Event()
                notes = asyncio.create_task(_queue_notifications(sessions, done))
                trouble = asyncio.create_task(_platform_trouble(c, done))
                gate = asyncio.Semaphore(CONCURRENCY)

                async def one(i: int) -> None:
                    async with gate:
                        await _citizen(d, i, numbers)

                started = time.monotonic()
                await asyncio.gather(*(one(i) for i in range(CITIZENS)))
                load_seconds = time.monotonic() - started
                done.set()
                queued = await notes
                revoked = await asyncio.wait_for(trouble, 30)

            statuses = await _wait_outbox_drained(sessions, queued)
            # One more notification after the load: a revocation near its end has been noticed now.
            async with sessions() as session, session.begin():
                await insert_message(session, openid="o-scale-0001", kind="reply", text="收尾通知",
                                     now=datetime.now(UTC), dedupe_key="scale:last")
            statuses = await _wait_outbox_drained(sessions, queued + 1)
            async with sessions() as session:
                cases = list(await session.scalars(select(Case)))
                filed_events = Counter(await session.scalars(
                    select(CaseEvent.case_id).where(CaseEvent.action == "register")))
                inbound = Counter(await session.scalars(select(InboundMessage.dedupe_key)))
                unfinished = list(await session.scalars(
                    select(InboundMessage.dedupe_key).where(InboundMessage.status != "done")))
                states = dict((await session.execute(select(Conversation.openid, Conversation.state))).all())
                outbox = list(await session.scalars(select(OutboxMessage)))
            codes = await c.stop_all()
        finally:
            await engine.dispose()

        wx = c.wx
        print(f"\nscale-out: {len(d.stats.messages)} pushes ({len(inbound)} distinct) in {load_seconds:.1f}s, "
              f"{sum(len(m.replays) for m in d.stats.messages)} replays, {len(cases)} cases, "
              f"{len(outbox)} notifications {statuses}, token issuances {wx.token_issuances} "
              f"(max in flight {wx.max_token_in_flight}), revocations {revoked}")

        # Conversations continued correctly whichever worker got the next message; replays matched.
        assert not d.stats.problems, "\n".join(d.stats.problems[:30])
        assert not c.tracebacks(), "\n".join(c.tracebacks())
        assert set(codes.values()) == {0}, (codes, c.all_logs())
        # Every push was acknowledged and logged exactly once, and finished.
        keys = {m.key for m in d.stats.messages}
        assert all(m.acked for m in d.stats.messages)
        assert set(inbound) == keys and set(inbound.values()) == {1}
        assert unfinished == []
        # No duplicate cases: one per citizen, the number each was told, complete.
        assert len(cases) == CITIZENS == len(numbers)
        assert set(Counter(case.citizen_openid for case in cases).values()) == {1}
        assert {case.citizen_openid: case.number for case in cases} == numbers
        for case in cases:
            i = int(case.citizen_openid.rsplit("-", 1)[1])
            # The stored text is normalised (full-width punctuation); the marker survives that.
            assert f"第{i}号反映" in case.content
            assert (case.location_text, case.phone) == (place(i), phone(i))
        assert filed_events == Counter({case.id: 1 for case in cases})
        assert set(states.values()) <= {"idle"}, Counter(states.values())

        # Every notification sent exactly once: the platform's successful sends vs the outbox rows.
        assert len(outbox) >= queued and {row.status for row in outbox} == {"sent"}, statuses
        delivered = Counter()
        for call in wx.calls_to("message/custom/send") + wx.calls_to("message/template/send"):
            if call.errcode == 0:
                p = call.payload
                text = p["text"]["content"] if "text" in p else p["data"]["content"]["value"]
                delivered[(p["touser"], text)] += 1
        assert delivered == Counter((row.openid, row.text) for row in outbox)
        claimed_by = Counter(row.claimed_by.rsplit(":", 1)[0] for row in outbox if row.claimed_by)
        assert len(claimed_by) == 2, claimed_by  # both senders took part

        # One token refresh at a time: one issuance at start and one per revocation, never overlapping.
        assert revoked >= 1 and wx.max_token_in_flight == 1
        assert wx.token_issuances == 1 + revoked
