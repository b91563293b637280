"""The deadline ladder of §5: near-due, overdue, escalation digest, auto-close, 回头看.

Each job takes the runtime, opens its own unit of work (jobs own their transactions, unlike handlers)
and works out from ``rt.now()`` which moment is due. Daily alerts belong to the most recent 09:00
(local); a scheduler that was down over 09:00 still sends that day's alerts when it comes back, up to
``DAILY_GRACE`` later (not in the middle of the night). The moment is part of the dedupe key, so a
second run or a second scheduler inserts nothing new.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import case_policy as policy
from bot.case_policy import (
    AUTO_CLOSE_DAYS,
    DAILY_ALERT_TIME,
    DEADLINE_CLOCKS,
    DEADLINE_NUMBERS,
    ESCALATION_DAYS,
    FOLLOW_UP_CATCH_UP,
    FOLLOW_UP_DAYS,
    FOLLOW_UP_TIME,
    NEAR_DUE_DAYS,
)
from bot.jobs.job import Job
from bot.outbox import notify, notify_people, notify_person
from bot.runtime import Runtime
from bot.services import notice_texts as texts
from bot.services.calendar import Calendar
from bot.services.cases import Actor, can, record
from storage.models import Department, Person
from storage.repositories import deadline_sweeps as sweeps

log = logging.getLogger(__name__)

# Past this, a missed daily run is skipped (no alerts at night); the next day's run covers the case.
DAILY_GRACE = timedelta(hours=12)
DIGEST_MAX_LINES = 30


def latest_moment(rt: Runtime, at: time) -> datetime:
    """The most recent local ``at`` wall-clock moment at or before now."""
    local = rt.local_now()
    moment = datetime.combine(local.date(), at, tzinfo=rt.tz)
    if moment > local:
        moment = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=rt.tz)
    return moment


def due_moment(rt: Runtime, at: time, grace: timedelta = DAILY_GRACE) -> datetime | None:
    """Today's moment if it has come and is not older than ``grace`` (explicit misfire policy)."""
    moment = latest_moment(rt, at)
    return moment if rt.now() - moment <= grace else None


def _fmt_day(rt: Runtime, when: datetime) -> str:
    local = when.astimezone(rt.tz)
    return f"{local.year}年{local.month}月{local.day}日"


def _deadline_texts(case: sweeps.DueCase) -> tuple[str, str]:
    return (texts.DEADLINE_LABELS[case.deadline],
            texts.DEADLINE_COMMANDS[case.deadline].format(number=case.number))


async def _targets(session: AsyncSession, cases: list[sweeps.DueCase], *,
                   leaders: bool) -> dict[int, list[Person]]:
    """Per case: the assignee department's staff, the owner (首问) and, if asked, the 包案 leader;
    looked up in two queries for the whole batch."""
    staff = await sweeps.department_staff(session, (c.department_id for c in cases))
    extra = await sweeps.people_by_id(
        session, [c.owner_id for c in cases] + ([c.leader_id for c in cases] if leaders else []))
    out: dict[int, list[Person]] = {}
    for c in cases:
        people = list(staff.get(c.department_id or -1, []))
        for pid in (c.owner_id, c.leader_id if leaders else None):
            person = extra.get(pid) if pid is not None else None
            if person is not None and person not in people:
                people.append(person)
        out[c.id] = people
    return out


async def near_due_alerts(rt: Runtime) -> int:
    """3 days before an acknowledgement or resolution deadline: assignee staff and owner, once per
    deadline (an extension moves the deadline and so earns a new alert)."""
    moment = due_moment(rt, DAILY_ALERT_TIME)
    if moment is None:
        return 0
    horizon = datetime.combine(moment.date() + timedelta(days=NEAR_DUE_DAYS), time(23, 59, 59), tzinfo=rt.tz)
    sent = 0
    async with rt.sessions() as session, session.begin():
        cases = await sweeps.near_due_cases(session, DEADLINE_CLOCKS, now=rt.now(), horizon=horizon)
        targets = await _targets(session, cases, leaders=False)
        today = rt.local_now().date()
        for c in cases:
            label, command = _deadline_texts(c)
            left = (c.due_at.astimezone(rt.tz).date() - today).days
            text = texts.NEAR_DUE.format(number=c.number, title=c.title, deadline=label,
                                         due=_fmt_day(rt, c.due_at), left=left, command=command)
            key = f"near_due:{c.deadline}:c{c.id}:{c.due_at:%Y%m%dT%H%M}"
            sent += await notify_people(session, rt, targets[c.id], kind="near_due_alert", text=text,
                                        case_id=c.id, case=c, dedupe_key=key,
                                        fields={"case": c.number, "deadline": label, "due": _fmt_day(rt, c.due_at)})
    return sent


async def overdue_alerts(rt: Runtime) -> int:
    """Daily at 09:00 while overdue: assignee staff, owner and the leader in charge (包案)."""
    moment = due_moment(rt, DAILY_ALERT_TIME)
    if moment is None:
        return 0
    calendar = Calendar.from_settings(rt.settings)
    sent = 0
    async with rt.sessions() as session, session.begin():
        # Overdue as of the 09:00 moment (the dedupe key's moment), not merely by now.
        cases = await sweeps.overdue_cases(session, DEADLINE_CLOCKS, due_before=moment)
        targets = await _targets(session, cases, leaders=True)
        for c in cases:
            label, command = _deadline_texts(c)
            late = max(calendar.days_between(c.due_at, moment), 1)
            text = texts.OVERDUE.format(number=c.number, title=c.title, deadline=label,
                                        due=_fmt_day(rt, c.due_at), late=late, command=command)
            key = f"overdue:{c.deadline}:c{c.id}:{moment:%Y%m%d}"
            sent += await notify_people(session, rt, targets[c.id], kind="overdue_alert", text=text,
                                        case_id=c.id, case=c, dedupe_key=key,
                                        fields={"case": c.number, "deadline": label, "late_days": late})
    return sent


async def escalation_digest(rt: Runtime) -> int:
    """Daily digest to the supervision office of cases overdue by 3 days or more, suggesting 督办."""
    moment = due_moment(rt, DAILY_ALERT_TIME)
    if moment is None:
        return 0
    calendar = Calendar.from_settings(rt.settings)
    today = moment.date()
    # Overdue by >= 3 whole local days: the deadline's day is at least 3 days before today.
    threshold = datetime.combine(today - timedelta(days=ESCALATION_DAYS - 1), time(0, 0), tzinfo=rt.tz)
    sent = 0
    async with rt.sessions() as session, session.begin():
        cases = await sweeps.overdue_cases(session, DEADLINE_CLOCKS, due_before=threshold)
        if not cases:
            return 0
        supervisors = await sweeps.people_with_role(session, "supervisor")
        if not supervisors:
            log.warning("%d cases overdue >= %d days but no supervisor is bound", len(cases), ESCALATION_DAYS)
            return 0
        departments = await _department_names(session, {c.department_id for c in cases})
        lines = [texts.ESCALATION_LINE.format(
            i=i, number=c.number, title=c.title, department=departments.get(c.department_id, "未分派"),
            deadline=texts.DEADLINE_LABELS[c.deadline], due=_fmt_day(rt, c.due_at),
            late=calendar.days_between(c.due_at, moment)) for i, c in enumerate(cases[:DIGEST_MAX_LINES], 1)]
        if len(cases) > DIGEST_MAX_LINES:
            lines.append(texts.ESCALATION_MORE.format(more=len(cases) - DIGEST_MAX_LINES))
        text = (texts.ESCALATION_HEAD.format(today=_fmt_date(today), count=len(cases), **DEADLINE_NUMBERS) + "\n".join(lines)
                + texts.ESCALATION_TAIL)
        sent += await notify_people(session, rt, supervisors, kind="escalation_digest", text=text,
                                    dedupe_key=f"escalation:{moment:%Y%m%d}",
                                    fields={"count": len(cases), "date": _fmt_date(today)})
    return sent


def _fmt_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


async def _department_names(session: AsyncSession, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await session.execute(select(Department.id, Department.name).where(Department.id.in_(wanted)))
    return dict(rows.all())  # type: ignore[arg-type]


async def auto_close(rt: Runtime) -> int:
    """Close resolved cases 7 days after resolution when the citizen did not rate; tell them."""
    closed = 0
    async with rt.sessions() as session, session.begin():
        for case in await sweeps.resolved_unrated_cases(
                session, status=policy.RESOLVED, resolved_before=rt.now() - timedelta(days=AUTO_CLOSE_DAYS)):
            if not can(case, "close"):
                continue
            resolved_at = case.resolved_at
            await record(session, rt, case, action="close", actor=Actor.system(), transition=True,
                         text=f"办结后 {AUTO_CLOSE_DAYS} 日内未评价，自动结案", data={"auto": True})
            case.closed_at = rt.now()
            await notify(session, rt, openid=case.citizen_openid, kind="auto_close", case_id=case.id,
                         text=texts.AUTO_CLOSE.format(number=case.number, title=case.title,
                                                      resolved=_fmt_day(rt, resolved_at or rt.now()),
                                                      **DEADLINE_NUMBERS),
                         dedupe_key=f"auto_close:c{case.id}:{resolved_at:%Y%m%dT%H%M%S}",
                         fields={"case": case.number})
            closed += 1
    return closed


async def follow_up_reviews(rt: Runtime) -> int:
    """回头看: 30 days after closing, for 基本满意/不满意 or 包案 cases, to the citizen and the owner."""
    moment = due_moment(rt, FOLLOW_UP_TIME)
    if moment is None:
        return 0
    # Counted in local days: everything closed on the day 30 days ago is due at today's moment.
    cutoff = datetime.combine(moment.date() - timedelta(days=FOLLOW_UP_DAYS), time(23, 59, 59, 999999),
                              tzinfo=rt.tz)
    sent = 0
    async with rt.sessions() as session, session.begin():
        cases = await sweeps.follow_up_cases(session, status=policy.CLOSED,
                                             satisfaction=policy.FOLLOW_UP_SATISFACTION,
                                             closed_after=cutoff - FOLLOW_UP_CATCH_UP, closed_before=cutoff)
        owners = await sweeps.people_by_id(session, (c.owner_id for c in cases))
        for case in cases:
            closed = _fmt_day(rt, case.closed_at or rt.now())
            key = f"follow_up:c{case.id}:{case.closed_at:%Y%m%dT%H%M%S}"
            sent += await notify(session, rt, openid=case.citizen_openid, kind="follow_up", case_id=case.id,
                                 text=texts.FOLLOW_UP_CITIZEN.format(number=case.number, title=case.title,
                                                                     closed=closed),
                                 dedupe_key=f"{key}:citizen", fields={"case": case.number})
            reason = texts.FOLLOW_UP_REASONS.get(case.satisfaction, texts.FOLLOW_UP_REASONS[None])
            sent += await notify_person(session, rt, owners.get(case.owner_id or -1), kind="follow_up",
                                        case_id=case.id, case=case, dedupe_key=key,
                                        text=texts.FOLLOW_UP_OWNER.format(number=case.number, title=case.title,
                                                                          reason=reason, **DEADLINE_NUMBERS),
                                        fields={"case": case.number})
    return sent


# What the scheduler runs from this module, and how often it looks (bot.jobs.scheduler).
JOBS = (
    Job("near_due_alerts", near_due_alerts, timedelta(minutes=5)),
    Job("overdue_alerts", overdue_alerts, timedelta(minutes=5)),
    Job("escalation_digest", escalation_digest, timedelta(minutes=5)),
    Job("auto_close", auto_close, timedelta(minutes=10)),
    Job("follow_up_reviews", follow_up_reviews, timedelta(minutes=10)),
)
