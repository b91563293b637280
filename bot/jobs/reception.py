"""Reception-day notices (§4): the day-before list at 18:00 to the leader and 陪访, the citizens'
reminder at the same time, the 08:00 reminder on the day, and cancellations (holidays) to citizens.

A notice is due from its moment until the session starts (the list, the citizen reminder) or ends
(the morning reminder), so a scheduler that was down at 18:00 still sends it when it is back.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.jobs.job import Job
from bot.outbox import notify, notify_people
from bot.runtime import Runtime
from bot.services import notice_texts as texts
from bot.services import reception as svc
from storage.repositories.deadline_sweeps import people_by_id


async def _receivers(session: AsyncSession, occ: svc.Occurrence) -> list:  # type: ignore[type-arg]
    ids = [occ.session.leader_id, *(occ.session.companion_ids or [])]
    people = await people_by_id(session, ids)
    return [people[i] for i in dict.fromkeys(ids) if i in people]


def visitor_lines(bookings: list) -> str:  # type: ignore[type-arg]
    if not bookings:
        return texts.RECEPTION_EVE_NONE
    return "\n".join(texts.RECEPTION_VISITOR_LINE.format(i=i, subject=svc.booking_subject(b), people=b.people)
                     for i, b in enumerate(bookings, 1))


async def eve_notices(rt: Runtime) -> int:
    """From 18:00 the day before until the start: visitor list to leader + 陪访, reminder to citizens."""
    sent = 0
    today = rt.local_now().date()
    async with rt.sessions() as session, session.begin():
        for occ in await svc.occurrences_between(session, rt, today, today + timedelta(days=1)):
            if not occ.eve_moment(rt) <= rt.now() < occ.start:
                continue
            bookings = await svc.bookings_of(session, occ.session.id, occ.day)
            when = svc.describe_when(occ, rt)
            text = texts.RECEPTION_EVE_LEADER.format(
                when=when, place=occ.session.place, form=occ.session.form, count=len(bookings),
                lines=visitor_lines(bookings), day=occ.day.isoformat())
            key = f"reception_eve:s{occ.session.id}:{occ.day.isoformat()}"
            sent += await notify_people(session, rt, await _receivers(session, occ), kind="reception_list",
                                        text=text, dedupe_key=key,
                                        fields={"time": when, "place": occ.session.place, "count": len(bookings)})
            for booking in bookings:
                sent += await notify(
                    session, rt, openid=booking.openid, kind="reception_reminder", case_id=booking.case_id,
                    text=texts.RECEPTION_CITIZEN_REMINDER.format(
                        when=when, title=svc.leader_title(occ.session), form=occ.session.form,
                        place=occ.session.place, people=booking.people),
                    dedupe_key=f"reception_citizen:b{booking.id}:{occ.day.isoformat()}",
                    fields={"time": when, "place": occ.session.place})
    return sent


async def morning_reminders(rt: Runtime) -> int:
    """08:00 on the day until the session ends: reminder to the leader and 陪访."""
    sent = 0
    today = rt.local_now().date()
    async with rt.sessions() as session, session.begin():
        for occ in await svc.occurrences_between(session, rt, today, today):
            if not occ.morning_moment(rt) <= rt.now() < occ.end:
                continue
            bookings = await svc.bookings_of(session, occ.session.id, occ.day)
            when = svc.describe_when(occ, rt)
            text = texts.RECEPTION_MORNING.format(when=when, place=occ.session.place, form=occ.session.form,
                                                  count=len(bookings))
            key = f"reception_morning:s{occ.session.id}:{occ.day.isoformat()}"
            sent += await notify_people(session, rt, await _receivers(session, occ), kind="reception_reminder",
                                        text=text, dedupe_key=key, fields={"time": when, "place": occ.session.place})
    return sent


async def cancellations(rt: Runtime) -> int:
    """Bookings on dates that no longer run (a holiday added later, a cancelled session): tell them."""
    told = 0
    async with rt.sessions() as session, session.begin():
        for booking, s in await svc.holiday_bookings(session, rt):
            reason = s.cancel_reason if s.cancelled else "节假日安排"
            told += await svc.release_cancelled(session, rt, booking, s, reason)
    return told


# What the scheduler runs from this module, and how often it looks (bot.jobs.scheduler).
JOBS = (
    Job("reception_cancellations", cancellations, timedelta(minutes=10)),
    Job("reception_eve_notices", eve_notices, timedelta(minutes=1)),
    Job("reception_morning_reminders", morning_reminders, timedelta(minutes=1)),
)
