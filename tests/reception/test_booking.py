"""Booking reception slots: the rules (五人代表, cut-off, one booking each) and no overbooking when
many citizens book the last slots at the same moment from separate workers."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.jobs import reception as reception_jobs
from bot.runtime import Runtime
from bot.services import reception as svc
from storage.models import OutboxMessage, ReceptionBooking, ReceptionOccurrence
from tests.jobs.world import Office, local, runtime

TUESDAY = date(2026, 12, 1)


async def _tuesday_session(rt: Runtime, *, slots: int = 10) -> int:
    async with rt.sessions() as session, session.begin():
        s = await svc.define_session(session, rt, leader="张明", companions=["李强"], weekday=1, start="09:00",
                                     end="11:30", place="县信访接待室", slots=slots)
        return s.id


async def _book(rt: Runtime, openid: str, session_id: int, people: int = 1, day: date = TUESDAY) -> svc.BookingResult:
    async with rt.sessions() as session, session.begin():
        return await svc.book(session, rt, openid=openid, session_id=session_id, day=day, people=people,
                              description="小区供暖不热")


async def test_concurrent_bookings_never_overbook(db_url: str, clock: FakeClock, rt: Runtime,
                                                  office: Office) -> None:
    session_id = await _tuesday_session(rt, slots=3)
    # Eight workers (each its own engine and connection), twenty citizens, all at once.
    async with runtime(db_url, clock) as w1, runtime(db_url, clock) as w2, runtime(db_url, clock) as w3, \
            runtime(db_url, clock) as w4:
        workers = [rt, w1, w2, w3, w4]
        results = await asyncio.gather(*(
            _book(workers[i % len(workers)], f"o-citizen-{i}", session_id) for i in range(20)))
    booked = [r for r in results if r.booking is not None]
    assert len(booked) == 3
    assert {r.error for r in results if r.booking is None} == {"full"}
    async with rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReceptionBooking)) == 3
        assert await session.scalar(select(ReceptionOccurrence.booked)) == 3
        occ = await svc.occurrence(session, rt, session_id, TUESDAY)
    assert occ is not None and occ.free == 0


async def test_same_citizen_booking_twice_at_once_gets_one_booking(db_url: str, clock: FakeClock, rt: Runtime,
                                                                   office: Office) -> None:
    session_id = await _tuesday_session(rt)
    async with runtime(db_url, clock) as other:
        results = await asyncio.gather(_book(rt, "o-citizen", session_id), _book(other, "o-citizen", session_id))
    assert sorted(str(r.error) for r in results) == ["None", "already"]
    async with rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReceptionBooking)) == 1
        assert await session.scalar(select(ReceptionOccurrence.booked)) == 1


async def test_booking_rules_people_cutoff_and_duplicates(rt: Runtime, clock: FakeClock, office: Office) -> None:
    session_id = await _tuesday_session(rt, slots=1)
    assert (await _book(rt, "o-a", session_id, people=6)).error == "people"
    assert (await _book(rt, "o-a", session_id, people=5)).booking is not None
    assert (await _book(rt, "o-a", session_id)).error == "already"
    assert (await _book(rt, "o-b", session_id)).error == "full"
    assert (await _book(rt, "o-b", session_id, day=date(2026, 12, 2))).error == "gone"  # not a Tuesday
    # Cancelling frees the slot for someone else.
    async with rt.sessions() as session, session.begin():
        [mine] = await svc.active_bookings(session, rt, "o-a")
        assert await svc.cancel_booking(session, rt, mine)
        assert not await svc.cancel_booking(session, rt, mine)
    assert (await _book(rt, "o-b", session_id)).booking is not None
    # Bookings close at 18:00 the day before, when the leader's list goes out.
    clock.set(local(2026, 11, 30, 18))
    assert (await _book(rt, "o-c", session_id + 0, day=date(2026, 12, 8))).booking is not None
    assert (await _book(rt, "o-d", session_id)).error == "closed"


async def test_cancelled_date_and_new_holiday_notify_booked_citizens(db_url: str, clock: FakeClock, rt: Runtime,
                                                                     office: Office) -> None:
    session_id = await _tuesday_session(rt)
    await _book(rt, "o-a", session_id)
    await _book(rt, "o-b", session_id, day=date(2026, 12, 8))
    async with rt.sessions() as session, session.begin():
        assert await svc.cancel_session(session, rt, session_id, day=TUESDAY, reason="书记赴省开会") == 1
    async with rt.sessions() as session:
        listed = [o.day for o in await svc.upcoming(session, rt)]
    assert TUESDAY not in listed
    # The operator declares 8 December a holiday after the booking: the job tells the citizen once.
    async with runtime(db_url, clock, extra_holidays=["2026-12-08"]) as holiday_rt:
        assert await reception_jobs.cancellations(holiday_rt) == 1
        assert await reception_jobs.cancellations(holiday_rt) == 0
    async with rt.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        statuses = set(await session.scalars(select(ReceptionBooking.status)))
    assert [(r.openid, r.kind) for r in rows] == [("o-a", "reception_cancelled"), ("o-b", "reception_cancelled")]
    assert "书记赴省开会" in rows[0].text and "节假日" in rows[1].text and "接访安排" in rows[1].text
    assert statuses == {"office_cancelled"}


async def test_sessions_from_configuration_load_idempotently(db_url: str, clock: FakeClock, office: Office) -> None:
    config = [{"key": "secretary-tuesday", "leader": "张明", "陪访": ["李强"], "weekday": "周二", "start": "09:00",
               "end": "11:30", "place": "县信访接待室", "form": "现场接访", "slots": 8, "scope": "城建"},
              {"leader": "张明", "date": "2026-12-03", "start": "14:00", "end": "17:00", "place": "城关镇政府",
               "form": "带案下访", "slots": 4}]
    async with runtime(db_url, clock, reception=config) as rt:
        for _ in range(2):
            async with rt.sessions() as session, session.begin():
                assert await svc.load_configured_sessions(session, rt) == 2
        async with rt.sessions() as session:
            sessions = await svc.all_sessions(session)
            upcoming = await svc.upcoming(session, rt)
    assert len(sessions) == 2
    assert [(o.day.isoformat(), o.session.form, o.free) for o in upcoming] == [
        ("2026-12-01", "现场接访", 8), ("2026-12-03", "带案下访", 4)]
