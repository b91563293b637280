"""Reception days in chat: `接访安排` (anyone), `预约 <序号>` (the booking conversation,
``handlers.flows.booking``), `取消预约` (citizens), and officers' `接访名单 [日期]`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.dispatch import Context, command, role, staff_or_above
from bot.services import reception as svc
from handlers.commands import EVERYONE, STAFF, audience_router
from handlers.flows import booking
from handlers.flows import state as conversation
from handlers.flows.booking import LIST_KEY
from handlers.texts import reception as texts
from nlp.numbers import parse_number

router = audience_router("reception", EVERYONE)
officer_router = audience_router("reception-officers", STAFF, staff_or_above())


# ---- citizen: schedule ------------------------------------------------------------------------------

@router.handle(command("接访安排", "接访", "接访日"))
async def schedule(ctx: Context) -> str:
    occs = await svc.upcoming(ctx.session, ctx.rt)
    if not occs:
        return texts.SCHEDULE_EMPTY.format(days=svc.LIST_DAYS)
    lines = []
    for i, occ in enumerate(occs, 1):
        if not occ.booking_open(ctx.rt):
            free = texts.SCHEDULE_CLOSED
        elif occ.free:
            free = texts.SCHEDULE_FREE.format(free=occ.free)
        else:
            free = texts.SCHEDULE_FULL
        lines.append(texts.SCHEDULE_LINE.format(i=i, when=svc.describe_when(occ, ctx.rt),
                                                title=svc.leader_title(occ.session), form=occ.session.form,
                                                place=occ.session.place, free=free))
        if occ.session.scope:
            lines.append(texts.SCHEDULE_SCOPE.format(scope=occ.session.scope))
    # Remember what the numbers meant, so `预约 2` books what the citizen saw even if the list moves.
    conversation.remember_in_idle(ctx, **{LIST_KEY: [[o.session.id, o.day.isoformat()] for o in occs]})
    return texts.SCHEDULE_HEAD.format(days=svc.LIST_DAYS) + "\n".join(lines) + texts.SCHEDULE_TAIL


router.include(booking.FLOW.router)


@router.handle(command("取消预约"), role("citizen"))
async def cancel_booking(ctx: Context) -> str:
    bookings = [b for b in await svc.active_bookings(ctx.session, ctx.rt, ctx.openid)]
    if not bookings:
        return texts.CANCEL_NONE
    sessions = {s.id: s for s in await svc.all_sessions(ctx.session, include_cancelled=True)}
    if not ctx.args and len(bookings) > 1:
        lines = [texts.CANCEL_PICK_LINE.format(i=i, when=_when(b, sessions[b.session_id]),
                                               title=svc.leader_title(sessions[b.session_id]),
                                               place=sessions[b.session_id].place)
                 for i, b in enumerate(bookings, 1)]
        return texts.CANCEL_PICK_HEAD + "\n".join(lines)
    index = (parse_number(ctx.args[0]) if ctx.args else None) or 1
    if not 1 <= index <= len(bookings):
        return texts.CANCEL_NO_SUCH.format(index=ctx.args[0] if ctx.args else index)
    booking = bookings[index - 1]
    s = sessions[booking.session_id]
    occ = await svc.occurrence(ctx.session, ctx.rt, s.id, booking.day)
    if occ is not None and occ.start <= ctx.rt.now():
        return texts.CANCEL_TOO_LATE
    await svc.cancel_booking(ctx.session, ctx.rt, booking)
    return texts.CANCELLED.format(when=_when(booking, s))


def _when(booking, s) -> str:  # type: ignore[no-untyped-def]
    return f"{booking.day.month}月{booking.day.day}日（{svc.weekday_label(booking.day)}）{s.start_time:%H:%M}"


# ---- leader: visitor list ---------------------------------------------------------------------------

@officer_router.handle(command("接访名单"))
async def visitor_list(ctx: Context) -> str:
    assert ctx.person is not None
    if ctx.args:
        day = parse_day(" ".join(ctx.args), ctx.rt.local_now().date())
        if day is None:
            return texts.LIST_BAD_DATE.format(text=" ".join(ctx.args))
    else:
        day = await svc.next_day_for_person(ctx.session, ctx.rt, ctx.person)
        if day is None:
            return texts.LIST_NOTHING_AHEAD.format(days=svc.LIST_DAYS)
    occs = await svc.sessions_for_person(ctx.session, ctx.rt, ctx.person, day)
    if not occs:
        return texts.LIST_NONE_ON_DAY.format(day=f"{day.month}月{day.day}日")
    blocks = []
    for occ in occs:
        bookings = await svc.bookings_of(ctx.session, occ.session.id, occ.day)
        companions = await svc.companion_names(ctx.session, occ.session)
        lines = []
        for i, b in enumerate(bookings, 1):
            lines.append(texts.LIST_VISITOR.format(i=i, subject=svc.booking_subject(b), people=b.people))
            if b.case is not None:
                lines.append(texts.LIST_VISITOR_CONTENT.format(content=_short(b.case.content)))
        blocks.append(texts.LIST_SESSION.format(
            when=svc.describe_when(occ, ctx.rt), form=occ.session.form, place=occ.session.place,
            title=svc.leader_title(occ.session), companions="、".join(companions) or texts.LIST_NO_COMPANIONS,
            count=len(bookings), slots=occ.session.slots, lines="\n".join(lines) or texts.LIST_EMPTY))
    return "\n\n".join(blocks)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def parse_day(text: str, today: date) -> date | None:
    """今天 / 明天 / 后天 / 2026-12-01 / 12-01 / 12月1日 / 12.1"""
    text = text.strip()
    relative = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
    if text in relative:
        return today + timedelta(days=relative[text])
    match = re.fullmatch(r"(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?", text)
    if not match:
        return None
    year = int(match.group(1)) if match.group(1) else today.year
    try:
        day = date(year, int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    if not match.group(1) and day < today - timedelta(days=180):
        # "1月5日" said in December means next January.
        day = day.replace(year=year + 1)
    return day
