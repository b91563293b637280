"""The rest of the ladder: auto-close after 7 unrated days, 回头看 after 30, and the real APScheduler
start-up catching up on what fell due while no scheduler ran."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.clock import FakeClock
from bot.jobs import alerts
from bot.jobs.scheduler import run_due_jobs, start_scheduler
from bot.runtime import Runtime
from storage.models import Case, CaseEvent, OutboxMessage
from tests.jobs.world import Office, add_case, end_of, local, outbox, sent_list


async def test_unrated_resolution_closes_after_seven_days_once(rt: Runtime, clock: FakeClock,
                                                               office: Office) -> None:
    resolved = await add_case(rt, office.housing, openid="o-citizen", title="路灯不亮", status="resolved",
                              registered_at=local(2026, 11, 1, 10), resolved_at=local(2026, 11, 17, 15),
                              owner=office.clerk)
    rated = await add_case(rt, office.housing, openid="o-rated", title="垃圾清运不及时", status="resolved",
                           registered_at=local(2026, 11, 1, 10), resolved_at=local(2026, 11, 17, 9),
                           satisfaction=1)
    clock.set(local(2026, 11, 24, 14, 59))
    assert await alerts.auto_close(rt) == 0
    clock.set(local(2026, 11, 24, 15, 0))
    assert await alerts.auto_close(rt) == 1
    assert await alerts.auto_close(rt) == 0
    async with rt.sessions() as session:
        case = await session.get(Case, resolved.id)
        other = await session.get(Case, rated.id)
        events = list(await session.scalars(select(CaseEvent).where(CaseEvent.case_id == resolved.id)))
    assert case is not None and case.status == "closed" and case.closed_at == clock.now()
    assert other is not None and other.status == "resolved"
    assert [(e.action, e.from_status, e.to_status, e.actor_role) for e in events] == [
        ("close", "resolved", "closed", "system")]
    [message] = await outbox(rt)
    assert message.openid == "o-citizen" and resolved.number in message.text and "申请复查" in message.text


async def test_follow_up_thirty_days_after_close_for_lukewarm_or_leader_cases(
        rt: Runtime, clock: FakeClock, office: Office) -> None:
    closed = dict(status="closed", registered_at=local(2026, 9, 1, 10), owner=office.clerk)
    lukewarm = await add_case(rt, office.housing, openid="o-a", title="噪音扰民", satisfaction=2,
                              closed_at=local(2026, 10, 25, 16), **closed)
    led = await add_case(rt, office.housing, openid="o-b", title="征地补偿", satisfaction=1,
                         leader=office.secretary, closed_at=local(2026, 10, 25, 8), **closed)
    await add_case(rt, office.housing, openid="o-c", title="满意的事项", satisfaction=1,
                   closed_at=local(2026, 10, 25, 8), **closed)
    await add_case(rt, office.housing, openid="o-d", title="还没满三十天", satisfaction=3,
                   closed_at=local(2026, 10, 26, 8), **closed)
    clock.set(local(2026, 11, 24, 9, 59))
    assert await alerts.follow_up_reviews(rt) == 0  # 10:00 is the daily moment
    clock.set(local(2026, 11, 24, 10, 0))
    assert await alerts.follow_up_reviews(rt) == 4
    clock.set(local(2026, 11, 24, 16, 0))
    assert await alerts.follow_up_reviews(rt) == 0
    rows = await outbox(rt)
    assert sorted(sent_list(rows)) == sorted([
        ("11-24 10:00", "follow_up", "o-a"), ("11-24 10:00", "follow_up", "o-clerk"),
        ("11-24 10:00", "follow_up", "o-b"), ("11-24 10:00", "follow_up", "o-clerk")])
    owner_texts = [r.text for r in rows if r.openid == "o-clerk"]
    assert any(lukewarm.number in t and "基本满意" in t for t in owner_texts)
    assert any(led.number in t and "包案" in t for t in owner_texts)


async def test_near_due_alert_goes_to_staff_and_owner_once_per_deadline(
        rt: Runtime, clock: FakeClock, office: Office) -> None:
    case = await add_case(rt, office.housing, openid="o-a", title="欠薪", status="in_progress",
                          registered_at=local(2026, 9, 27, 10), resolve_due_at=end_of(2026, 11, 27),
                          owner=office.director)
    await run_due_jobs(rt)
    await run_due_jobs(rt)
    rows = await outbox(rt)
    assert sorted(sent_list(rows)) == [("11-24 09:00", "near_due_alert", "o-clerk"),
                                       ("11-24 09:00", "near_due_alert", "o-director")]
    assert "办结期限" in rows[0].text and f"办结 {case.number}" in rows[0].text and f"延期 {case.number}" in rows[0].text
    # An extension moves the deadline: the new one gets its own alert when it comes near.
    async with rt.sessions() as session, session.begin():
        row = await session.get(Case, case.id)
        assert row is not None
        row.resolve_due_at = end_of(2026, 12, 20)
    clock.set(local(2026, 12, 17, 9))
    await run_due_jobs(rt)
    assert len(await outbox(rt)) == 4


async def test_real_scheduler_catches_up_at_start_and_restart_adds_nothing(
        rt: Runtime, clock: FakeClock, office: Office) -> None:
    await add_case(rt, office.housing, openid="o-a", title="拖欠工程款", registered_at=local(2026, 11, 1, 10),
                   ack_due_at=end_of(2026, 11, 16), leader=office.secretary)

    async def wait_for_rows(n: int) -> list[OutboxMessage]:
        for _ in range(200):
            rows = await outbox(rt)
            if len(rows) >= n:
                return rows
            await asyncio.sleep(0.02)  # waiting for APScheduler's event loop task, not for time to pass
        return await outbox(rt)

    stop = await start_scheduler(rt)
    try:
        rows = await wait_for_rows(3)
    finally:
        await stop()
    expected = [("11-24 09:00", "escalation_digest", "o-inspector"),
                ("11-24 09:00", "overdue_alert", "o-clerk"), ("11-24 09:00", "overdue_alert", "o-secretary")]
    assert sorted(sent_list(rows)) == expected
    stop = await start_scheduler(rt)
    await asyncio.sleep(0.3)
    await stop()
    assert sorted(sent_list(await outbox(rt))) == expected
