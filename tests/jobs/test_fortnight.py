"""A fortnight on the fake clock: reception notices and the deadline ladder, exactly once each,
through restarts, a missed morning and two schedulers running at the same time."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from sqlalchemy import select

from bot.clock import FakeClock
from bot.jobs.scheduler import run_due_jobs
from bot.runtime import Runtime
from bot.services import reception as svc
from storage.models import Case
from tests.jobs.world import TZ, Office, add_case, end_of, local, outbox, runtime, sent_list

# The hours the walk stops at: every due moment, the hour after, and quiet hours in between.
WALK_HOURS = (0, 6, 8, 9, 10, 11, 12, 17, 18, 19, 21)


async def test_fortnight_of_reception_notices_and_deadline_alerts(
        db_url: str, clock: FakeClock, rt: Runtime, office: Office) -> None:
    # 包案 case registered 11 days ago: acknowledgement due at the end of Saturday 28 November.
    late = await add_case(rt, office.housing, openid="o-late", title="拆迁补偿款迟迟未发放",
                          registered_at=local(2026, 11, 13, 10), ack_due_at=end_of(2026, 11, 28),
                          leader=office.secretary)
    case_a = await add_case(rt, office.housing, openid="o-citizen-a", title="小区物业不作为", status="accepted",
                            registered_at=local(2026, 11, 20, 10), resolve_due_at=end_of(2027, 1, 20),
                            owner=office.clerk)
    case_b = await add_case(rt, office.housing, openid="o-citizen-b", title="小区停车位被长期占用",
                            status="accepted", registered_at=local(2026, 11, 21, 10),
                            resolve_due_at=end_of(2027, 1, 21), owner=office.clerk)
    async with rt.sessions() as session, session.begin():
        tuesday = await svc.define_session(
            session, rt, leader="张明", companions=["李强"], weekday="周二", start="09:00", end="11:30",
            place="县信访接待室", form="现场接访", slots=10, scope="城建、物业、拆迁")

    # Published: the coming 14 days hold one more Tuesday (today's session has begun), ten free slots.
    async with rt.sessions() as session:
        listed = await svc.upcoming(session, rt)
    assert [(o.day.isoformat(), o.free) for o in listed] == [("2026-12-01", 10)]

    async with AsyncExitStack() as stack:
        scheduler_a, scheduler_b = rt, None
        while clock.now() <= local(2026, 12, 8, 12):
            now_local = clock.now().astimezone(TZ)
            if now_local == local(2026, 11, 24, 10):
                async with rt.sessions() as session, session.begin():
                    for openid, case in (("o-citizen-a", case_a), ("o-citizen-b", case_b)):
                        result = await svc.book(session, rt, openid=openid, session_id=tuesday.id,
                                                day=listed[0].day, people=2, case_id=case.id)
                        assert result.booking is not None, result.error
            if now_local == local(2026, 12, 2, 12):
                async with rt.sessions() as session, session.begin():
                    row = await session.get(Case, late.id)
                    assert row is not None
                    row.status, row.accepted_at, row.resolve_due_at = "accepted", clock.now(), end_of(2027, 1, 31)
            if now_local == local(2026, 11, 28, 0):
                # A second scheduler started by mistake: for five days two race on every run.
                scheduler_b = await stack.enter_async_context(runtime(db_url, clock))
            if now_local == local(2026, 11, 30, 19):
                # Restart mid-way: the first scheduler is replaced by a fresh process (new engine,
                # nothing in memory).
                scheduler_a = await stack.enter_async_context(runtime(db_url, clock))
            if local(2026, 11, 30, 6) <= now_local < local(2026, 11, 30, 11):
                pass  # the machine is off over 09:00 on the 30th
            elif scheduler_b is not None and now_local < local(2026, 12, 3):
                await asyncio.gather(run_due_jobs(scheduler_a), run_due_jobs(scheduler_b))
            else:
                await run_due_jobs(scheduler_a)
            clock.advance(hours=1)
            while clock.now().astimezone(TZ).hour not in WALK_HOURS:
                clock.advance(hours=1)
        assert not scheduler_a.handler_errors and not (scheduler_b and scheduler_b.handler_errors)

    rows = await outbox(rt)
    leader, director, clerk, inspector = "o-secretary", "o-director", "o-clerk", "o-inspector"
    expected = [
        ("11-24 09:00", "reception_reminder", leader), ("11-24 09:00", "reception_reminder", director),
        ("11-25 09:00", "near_due_alert", clerk),
        ("11-29 09:00", "overdue_alert", clerk), ("11-29 09:00", "overdue_alert", leader),
        # The scheduler was down at 09:00 on the 30th: that day's alerts go out when it is back.
        ("11-30 11:00", "overdue_alert", clerk), ("11-30 11:00", "overdue_alert", leader),
        ("11-30 18:00", "reception_list", leader), ("11-30 18:00", "reception_list", director),
        ("11-30 18:00", "reception_reminder", "o-citizen-a"),
        ("11-30 18:00", "reception_reminder", "o-citizen-b"),
        ("12-01 08:00", "reception_reminder", leader), ("12-01 08:00", "reception_reminder", director),
        ("12-01 09:00", "overdue_alert", clerk), ("12-01 09:00", "overdue_alert", leader),
        ("12-01 09:00", "escalation_digest", inspector),
        ("12-02 09:00", "overdue_alert", clerk), ("12-02 09:00", "overdue_alert", leader),
        ("12-02 09:00", "escalation_digest", inspector),
        ("12-07 18:00", "reception_list", leader), ("12-07 18:00", "reception_list", director),
        ("12-08 08:00", "reception_reminder", leader), ("12-08 08:00", "reception_reminder", director),
    ]
    assert sorted(sent_list(rows)) == sorted(expected)

    by_key = {r.dedupe_key: r for r in rows}
    eve = by_key[f"reception_eve:s{tuesday.id}:2026-12-01:p{office.secretary.id}"]
    assert case_a.number in eve.text and case_b.number in eve.text and "县信访接待室" in eve.text
    assert "小区停车位被长期占用" in eve.text and "2 人" in eve.text
    near = next(r for r in rows if r.kind == "near_due_alert")
    assert late.number in near.text and "受理告知期限" in near.text and "还剩 3 天" in near.text
    assert f"受理 {late.number}" in near.text
    overdue_texts = [r.text for r in rows if r.kind == "overdue_alert" and r.openid == clerk]
    assert ["已超期 1 天" in overdue_texts[0], "已超期 4 天" in overdue_texts[-1]] == [True, True]
    digest = [r for r in rows if r.kind == "escalation_digest"]
    assert late.number in digest[0].text and "超期 3 天" in digest[0].text and "督办" in digest[0].text
    reminder = by_key["reception_citizen:b1:2026-12-01"]
    assert "县委书记" in reminder.text and "取消预约" in reminder.text

    async with rt.sessions() as session:
        assert (await session.scalar(select(Case.status).where(Case.id == late.id))) == "accepted"
