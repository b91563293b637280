"""Reception days (接访日, §4): sessions, their dated occurrences, bookings and cancellations.

Occurrences are computed from the session rules for a date range (a handful of sessions, so this is
cheap) and joined with the occurrence rows that hold each date's booked counter. A booking reserves
its slot with one guarded ``UPDATE … SET booked = booked + 1 WHERE booked < slots``: the database
decides, so concurrent bookings in several workers never overbook. Bookings close at 18:00 the day
before, when the leader's visitor list goes out. Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import SEE_ALL_ROLES
from bot.outbox import notify
from bot.runtime import Runtime
from bot.services import notice_texts as texts
from bot.services.calendar import Calendar
from nlp.numbers import first_number, parse_number
from storage.models import Case, Person
from storage.models.reception import (
    MAX_PEOPLE,
    RECEPTION_FORMS,
    ReceptionBooking,
    ReceptionOccurrence,
    ReceptionSession,
)

LIST_DAYS = 14
# The day-before list goes to the leader at this hour; bookings close then.
EVE_NOTICE_TIME = time(18, 0)
MORNING_NOTICE_TIME = time(8, 0)
WEEKDAY_NAMES = ("一", "二", "三", "四", "五", "六", "日")
DESCRIPTION_MAX = 200


@dataclass(frozen=True)
class Occurrence:
    """One session on one date, with its live slot count."""

    session: ReceptionSession
    day: date
    start: datetime
    end: datetime
    booked: int
    cancelled: bool

    @property
    def free(self) -> int:
        return max(self.session.slots - self.booked, 0)

    def eve_moment(self, rt: Runtime) -> datetime:
        return datetime.combine(self.day - timedelta(days=1), EVE_NOTICE_TIME, tzinfo=rt.tz)

    def morning_moment(self, rt: Runtime) -> datetime:
        return datetime.combine(self.day, MORNING_NOTICE_TIME, tzinfo=rt.tz)

    def booking_open(self, rt: Runtime) -> bool:
        return not self.cancelled and rt.now() < self.eve_moment(rt)


def weekday_label(day: date) -> str:
    return f"周{WEEKDAY_NAMES[day.weekday()]}"


def describe_when(occ: Occurrence, rt: Runtime) -> str:
    start = occ.start.astimezone(rt.tz)
    end = occ.end.astimezone(rt.tz)
    return f"{occ.day.month}月{occ.day.day}日（{weekday_label(occ.day)}）{start:%H:%M}–{end:%H:%M}"


def leader_title(session: ReceptionSession) -> str:
    leader = session.leader
    return (leader.title or "领导") if leader is not None else "领导"


# ---- sessions -------------------------------------------------------------------------------------

class SessionError(ValueError):
    """A session definition an admin got wrong (the CLI prints it)."""


def parse_weekday(value: Any) -> int:
    """0=Monday. Accepts 0-6, 1-7 as 周一..周日 when given as text like "周二"/"二", or English names."""
    if isinstance(value, int):
        if not 0 <= value <= 6:
            raise SessionError(f"weekday {value} not in 0..6 (0 = Monday)")
        return value
    text = str(value).strip().lower().removeprefix("周").removeprefix("星期")
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    for i, name in enumerate(names):
        if text in (name, name[:3]):
            return i
    if text in WEEKDAY_NAMES or text == "天":
        return 6 if text == "天" else WEEKDAY_NAMES.index(text)
    if (day := parse_number(text)) is not None:
        return parse_weekday(day)
    raise SessionError(f"unknown weekday {value!r}")


def parse_clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", str(value).strip())
    if not match:
        raise SessionError(f"time {value!r} is not HH:MM")
    return time(int(match.group(1)), int(match.group(2)))


async def find_person(session: AsyncSession, ref: Any, *, role: str | None = None) -> Person:
    """A person by id or by name (optionally of a role); ambiguity is an error, not a guess."""
    stmt = select(Person).where(Person.active.is_(True))
    person_id = ref if isinstance(ref, int) else parse_number(str(ref))
    if person_id is not None:
        stmt = stmt.where(Person.id == person_id)
    else:
        stmt = stmt.where(or_(Person.name == str(ref), Person.title == str(ref)))
    if role is not None:
        stmt = stmt.where(Person.role == role)
    found = list((await session.scalars(stmt)).unique())
    if len(found) != 1:
        what = f"{role} " if role else ""
        raise SessionError(f"{what}person {ref!r}: {'not found' if not found else 'ambiguous'}")
    return found[0]


async def define_session(
    session: AsyncSession, rt: Runtime, *, leader: Any, start: Any, end: Any, place: str,
    weekday: Any = None, on_date: Any = None, form: str = "现场接访", slots: int = 10,
    companions: list[Any] | None = None, scope: str | None = None, config_key: str | None = None,
    valid_from: Any = None, valid_until: Any = None,
) -> ReceptionSession:
    """Create a session, or update the one with the same ``config_key`` (TOML reloads)."""
    if (weekday is None) == (on_date is None):
        raise SessionError("give exactly one of weekday (recurring) or date (one-off)")
    if form not in RECEPTION_FORMS:
        raise SessionError(f"form {form!r} not one of {', '.join(RECEPTION_FORMS)}")
    if int(slots) < 1:
        raise SessionError("slots must be at least 1")
    start_t, end_t = parse_clock(start), parse_clock(end)
    if end_t <= start_t:
        raise SessionError("end must be after start")
    leader_person = await find_person(session, leader, role="leader")
    companion_ids = [(await find_person(session, c)).id for c in companions or []]
    values = dict(
        leader_id=leader_person.id, companion_ids=companion_ids,
        weekday=parse_weekday(weekday) if weekday is not None else None,
        on_date=_as_date(on_date), valid_from=_as_date(valid_from), valid_until=_as_date(valid_until),
        start_time=start_t, end_time=end_t, place=place, form=form, slots=int(slots), scope=scope,
    )
    existing = None
    if config_key:
        existing = await session.scalar(select(ReceptionSession).where(ReceptionSession.config_key == config_key))
    if existing is None:
        existing = ReceptionSession(config_key=config_key, created_at=rt.now(), cancelled=False, **values)
        session.add(existing)
    else:
        for key, value in values.items():
            setattr(existing, key, value)
    await session.flush()
    return existing


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


async def load_configured_sessions(session: AsyncSession, rt: Runtime) -> int:
    """Upsert the sessions of ``settings.reception`` (TOML ``[[reception]]`` tables)."""
    count = 0
    for i, spec in enumerate(rt.settings.reception):
        spec = dict(spec)
        key = spec.pop("key", None) or f"config-{i}"
        await define_session(
            session, rt, config_key=key, leader=spec["leader"], start=spec["start"], end=spec["end"],
            place=spec["place"], weekday=spec.get("weekday"), on_date=spec.get("date"),
            form=spec.get("form", "现场接访"), slots=spec.get("slots", 10),
            companions=spec.get("companions") or spec.get("陪访"), scope=spec.get("scope"),
            valid_from=spec.get("valid_from"), valid_until=spec.get("valid_until"))
        count += 1
    return count


async def all_sessions(session: AsyncSession, *, include_cancelled: bool = False) -> list[ReceptionSession]:
    stmt = select(ReceptionSession).order_by(ReceptionSession.id)
    if not include_cancelled:
        stmt = stmt.where(ReceptionSession.cancelled.is_(False))
    return list((await session.scalars(stmt)).unique())


# ---- occurrences ----------------------------------------------------------------------------------

def _session_days(s: ReceptionSession, first: date, last: date, calendar: Calendar) -> list[date]:
    if s.on_date is not None:
        return [s.on_date] if first <= s.on_date <= last else []
    days = []
    day = first + timedelta(days=(s.weekday - first.weekday()) % 7)  # type: ignore[operator]
    while day <= last:
        in_range = (s.valid_from is None or s.valid_from <= day) and (s.valid_until is None or day <= s.valid_until)
        # A weekday session does not run on a public holiday; weekend sessions (下访) are meant for days off.
        if in_range and (day.weekday() >= 5 or calendar.is_workday(day)):
            days.append(day)
        day += timedelta(days=7)
    return days


async def occurrences_between(session: AsyncSession, rt: Runtime, first: date, last: date, *,
                              include_cancelled: bool = False) -> list[Occurrence]:
    calendar = Calendar.from_settings(rt.settings)
    pairs: list[tuple[ReceptionSession, date]] = []
    for s in await all_sessions(session):
        pairs.extend((s, d) for d in _session_days(s, first, last, calendar))
    if not pairs:
        return []
    rows = await session.scalars(select(ReceptionOccurrence).where(
        tuple_(ReceptionOccurrence.session_id, ReceptionOccurrence.day).in_([(s.id, d) for s, d in pairs])))
    stored = {(o.session_id, o.day): o for o in rows}
    out = []
    for s, d in pairs:
        row = stored.get((s.id, d))
        cancelled = bool(row and row.cancelled)
        if cancelled and not include_cancelled:
            continue
        out.append(Occurrence(
            session=s, day=d, start=datetime.combine(d, s.start_time, tzinfo=rt.tz),
            end=datetime.combine(d, s.end_time, tzinfo=rt.tz), booked=row.booked if row else 0,
            cancelled=cancelled))
    out.sort(key=lambda o: (o.start, o.session.id))
    return out


async def upcoming(session: AsyncSession, rt: Runtime, *, days: int = LIST_DAYS) -> list[Occurrence]:
    """Sessions in the coming ``days`` days that have not started yet, soonest first."""
    today = rt.local_now().date()
    occs = await occurrences_between(session, rt, today, today + timedelta(days=days - 1))
    return [o for o in occs if o.start > rt.now()]


async def occurrence(session: AsyncSession, rt: Runtime, session_id: int, day: date) -> Occurrence | None:
    for occ in await occurrences_between(session, rt, day, day, include_cancelled=True):
        if occ.session.id == session_id:
            return occ
    return None


async def _occurrence_row(session: AsyncSession, session_id: int, day: date) -> ReceptionOccurrence:
    """Get or create the counter row; concurrent creators meet on the unique (session, day) key."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(ReceptionOccurrence).values(
        session_id=session_id, day=day, booked=0, cancelled=False).on_conflict_do_nothing(
        index_elements=[ReceptionOccurrence.session_id, ReceptionOccurrence.day]))
    row = await session.scalar(select(ReceptionOccurrence).where(
        ReceptionOccurrence.session_id == session_id, ReceptionOccurrence.day == day)
        .execution_options(populate_existing=True))
    assert row is not None
    return row


# ---- bookings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BookingResult:
    """``booking`` on success, else ``error``: gone, closed, full, already, people."""

    booking: ReceptionBooking | None = None
    error: str | None = None
    occurrence: Occurrence | None = None


def parse_people(text: str) -> int | None:
    count = first_number(text)
    if count is not None:
        return count
    for i, word in enumerate("一二三四五六七八九十", start=1):
        if word in text or (i == 2 and "两" in text):
            return i
    return None


async def book(
    session: AsyncSession, rt: Runtime, *, openid: str, session_id: int, day: date, people: int,
    case_id: int | None = None, description: str | None = None,
) -> BookingResult:
    if not 1 <= people <= MAX_PEOPLE:
        return BookingResult(error="people")
    occ = await occurrence(session, rt, session_id, day)
    if occ is None or occ.cancelled or occ.session.cancelled:
        return BookingResult(error="gone")
    if not occ.booking_open(rt):
        return BookingResult(error="closed", occurrence=occ)
    row = await _occurrence_row(session, session_id, day)
    already = await session.scalar(select(ReceptionBooking.id).where(
        ReceptionBooking.occurrence_id == row.id, ReceptionBooking.openid == openid,
        ReceptionBooking.status == "booked"))
    if already is not None:
        return BookingResult(error="already", occurrence=occ)
    booking = ReceptionBooking(
        occurrence_id=row.id, session_id=session_id, day=day, openid=openid, case_id=case_id,
        description=(description or "")[:DESCRIPTION_MAX] or None, people=people, status="booked",
        created_at=rt.now())
    try:
        # Slot and booking together in a savepoint: a same-citizen race that loses on the unique
        # index gives its slot back instead of failing the whole unit of work.
        async with session.begin_nested():
            reserved = await session.execute(
                update(ReceptionOccurrence)
                .where(ReceptionOccurrence.id == row.id, ReceptionOccurrence.cancelled.is_(False),
                       ReceptionOccurrence.booked < select(ReceptionSession.slots)
                       .where(ReceptionSession.id == session_id).scalar_subquery())
                .values(booked=ReceptionOccurrence.booked + 1)
                .execution_options(synchronize_session=False))
            if reserved.rowcount != 1:
                return BookingResult(error="full", occurrence=occ)
            session.add(booking)
            await session.flush()
    except IntegrityError:
        return BookingResult(error="already", occurrence=occ)
    return BookingResult(booking=booking, occurrence=occ)


async def active_bookings(session: AsyncSession, rt: Runtime, openid: str) -> list[ReceptionBooking]:
    """The citizen's bookings for sessions that have not ended yet, soonest first."""
    today = rt.local_now().date()
    rows = await session.scalars(select(ReceptionBooking).where(
        ReceptionBooking.openid == openid, ReceptionBooking.status == "booked", ReceptionBooking.day >= today)
        .order_by(ReceptionBooking.day, ReceptionBooking.id))
    return list(rows.unique())


async def cancel_booking(session: AsyncSession, rt: Runtime, booking: ReceptionBooking,
                         *, status: str = "cancelled") -> bool:
    """Release the slot. False when the booking was no longer live (a concurrent cancel won)."""
    changed = await session.execute(
        update(ReceptionBooking).where(ReceptionBooking.id == booking.id, ReceptionBooking.status == "booked")
        .values(status=status, cancelled_at=rt.now()).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        return False
    await session.execute(
        update(ReceptionOccurrence).where(ReceptionOccurrence.id == booking.occurrence_id,
                                          ReceptionOccurrence.booked > 0)
        .values(booked=ReceptionOccurrence.booked - 1).execution_options(synchronize_session=False))
    await session.refresh(booking)
    return True


async def bookings_of(session: AsyncSession, session_id: int, day: date) -> list[ReceptionBooking]:
    rows = await session.scalars(select(ReceptionBooking).where(
        ReceptionBooking.session_id == session_id, ReceptionBooking.day == day,
        ReceptionBooking.status == "booked").order_by(ReceptionBooking.id))
    return list(rows.unique())


def booking_subject(booking: ReceptionBooking) -> str:
    """What the visitor comes about: the linked case, or their short description."""
    case: Case | None = booking.case
    if case is not None:
        return f"{case.number} {case.title}（{case.category}）"
    return booking.description or "（未说明事项）"


async def subject_of(session: AsyncSession, booking: ReceptionBooking) -> str:
    """``booking_subject`` of a booking just made (its case relationship loaded first)."""
    await session.refresh(booking, ["case"])
    return booking_subject(booking)


# ---- cancellations --------------------------------------------------------------------------------

async def cancel_session(session: AsyncSession, rt: Runtime, session_id: int, *, day: date | None = None,
                         reason: str | None = None) -> int:
    """Cancel a whole session, or one date of it; booked citizens are told. Returns how many."""
    s = await session.get(ReceptionSession, session_id)
    if s is None:
        raise SessionError(f"no session {session_id}")
    if day is None:
        s.cancelled = True
        s.cancel_reason = reason
        bookings = list((await session.scalars(select(ReceptionBooking).where(
            ReceptionBooking.session_id == session_id, ReceptionBooking.status == "booked",
            ReceptionBooking.day >= rt.local_now().date()))).unique())
    else:
        row = await _occurrence_row(session, session_id, day)
        row.cancelled = True
        row.cancel_reason = reason
        bookings = await bookings_of(session, session_id, day)
    await session.flush()
    told = 0
    for booking in bookings:
        told += await release_cancelled(session, rt, booking, s, reason)
    return told


async def release_cancelled(session: AsyncSession, rt: Runtime, booking: ReceptionBooking,
                            s: ReceptionSession, reason: str | None) -> int:
    """Mark a booking cancelled by the office and tell the citizen (once)."""
    if not await cancel_booking(session, rt, booking, status="office_cancelled"):
        return 0
    when = f"{booking.day.month}月{booking.day.day}日（{weekday_label(booking.day)}）{s.start_time:%H:%M}"
    await notify(session, rt, openid=booking.openid, kind="reception_cancelled",
                 text=texts.RECEPTION_CANCELLED.format(when=when, title=leader_title(s), place=s.place,
                                                       reason=reason or "工作安排调整"),
                 case_id=booking.case_id, dedupe_key=f"reception_cancelled:b{booking.id}",
                 fields={"time": when, "place": s.place})
    return 1


async def holiday_bookings(session: AsyncSession, rt: Runtime) -> list[tuple[ReceptionBooking, ReceptionSession]]:
    """Live bookings whose date no longer runs: the session or the date was cancelled, or the date
    became a holiday after the booking (the operator added it to the calendar)."""
    today = rt.local_now().date()
    calendar = Calendar.from_settings(rt.settings)
    rows = (await session.execute(
        select(ReceptionBooking, ReceptionSession, ReceptionOccurrence)
        .join(ReceptionSession, ReceptionSession.id == ReceptionBooking.session_id)
        .join(ReceptionOccurrence, ReceptionOccurrence.id == ReceptionBooking.occurrence_id)
        .where(ReceptionBooking.status == "booked", ReceptionBooking.day >= today))).unique().all()
    out = []
    for booking, s, occ in rows:
        off_day = s.weekday is not None and booking.day not in _session_days(s, booking.day, booking.day, calendar)
        if s.cancelled or occ.cancelled or off_day:
            out.append((booking, s))
    return out


async def cases_of_citizen(session: AsyncSession, openid: str, limit: int = 5) -> list[Case]:
    """The citizen's most recent cases, to offer when booking."""
    rows = await session.scalars(select(Case).where(Case.citizen_openid == openid)
                                 .order_by(Case.registered_at.desc(), Case.id.desc()).limit(limit))
    return list(rows.unique())


async def citizen_case(session: AsyncSession, openid: str, number: str) -> Case | None:
    return await session.scalar(select(Case).where(and_(Case.citizen_openid == openid,
                                                        Case.number == number.upper())))


async def sessions_for_person(session: AsyncSession, rt: Runtime, person: Person, day: date) -> list[Occurrence]:
    """Occurrences on ``day`` the person receives at (leader or 陪访); supervisors/admins see all."""
    occs = await occurrences_between(session, rt, day, day)
    if person.role in SEE_ALL_ROLES:
        return occs
    return [o for o in occs if o.session.leader_id == person.id or person.id in (o.session.companion_ids or [])]


async def next_day_for_person(session: AsyncSession, rt: Runtime, person: Person, *,
                              days: int = LIST_DAYS) -> date | None:
    today = rt.local_now().date()
    for occ in await occurrences_between(session, rt, today, today + timedelta(days=days)):
        if occ.end <= rt.now():
            continue
        if person.role in SEE_ALL_ROLES or occ.session.leader_id == person.id \
                or person.id in (occ.session.companion_ids or []):
            return occ.day
    return None


async def companion_names(session: AsyncSession, s: ReceptionSession) -> list[str]:
    """陪访 as "title name" (or name), in the configured order."""
    ids = list(s.companion_ids or [])
    if not ids:
        return []
    people = {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(ids)))).unique()}
    return [f"{people[i].title or ''}{people[i].name}" for i in ids if i in people]
