"""Reception days in chat: `接访安排`, `预约 <序号>` (a two-step booking), `取消预约`, and the leader's
`接访名单 [日期]`.

The booking conversation is ``booking_subject`` (a case number or a short description) then
``booking_people`` (1–5, the 五人代表 rule); `取消` abandons it. The slot itself is taken only at
the last step, by the service's guarded update.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.dispatch import Context, Router, command, msg_type, role, staff_or_above, state
from bot.services import conversation
from bot.services import reception as svc
from handlers.texts import reception as texts
from nlp.numbers import parse_number

router = Router("reception")

BOOKING_SUBJECT = "booking_subject"
BOOKING_PEOPLE = "booking_people"
LIST_KEY = "reception_list"
CASE_NUMBER = re.compile(r"XF\d{8}-\d{4}", re.IGNORECASE)


# ---- citizen: schedule ------------------------------------------------------------------------------

@router.handle(command("接访安排", "接访", "接访日"))
async def schedule(ctx: Context) -> str:
    occs = await svc.upcoming(ctx.session, ctx.rt)
    if not occs:
        return texts.SCHEDULE_EMPTY
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
    await conversation.update_data(ctx, **{LIST_KEY: [[o.session.id, o.day.isoformat()] for o in occs]})
    return texts.SCHEDULE_HEAD + "\n".join(lines) + texts.SCHEDULE_TAIL


# ---- citizen: booking -------------------------------------------------------------------------------

@router.handle(command("预约"), role("citizen"), state("idle", BOOKING_SUBJECT, BOOKING_PEOPLE))
async def start_booking(ctx: Context) -> str:
    index = parse_number(ctx.args[0]) if len(ctx.args) == 1 else None
    if index is None:
        return texts.BOOK_USAGE
    conv = await conversation.load(ctx)
    listed = (conv.data or {}).get(LIST_KEY) or [
        [o.session.id, o.day.isoformat()] for o in await svc.upcoming(ctx.session, ctx.rt)]
    if not 1 <= index <= len(listed):
        return texts.BOOK_NO_SUCH.format(index=index)
    session_id, day = listed[index - 1]
    occ = await svc.occurrence(ctx.session, ctx.rt, session_id, date.fromisoformat(day))
    refusal = _refusal(ctx, occ)
    if refusal:
        return refusal
    assert occ is not None
    cases = await svc.cases_of_citizen(ctx.session, ctx.openid)
    case_lines = texts.BOOK_YOUR_CASES.format(lines="\n".join(
        texts.BOOK_CASE_LINE.format(index=i, number=c.number, title=c.title)
        for i, c in enumerate(cases, 1))) if cases else ""
    await conversation.set_state(ctx, BOOKING_SUBJECT, {"session_id": session_id, "day": day,
                                                        "case_numbers": [c.number for c in cases]})
    return texts.BOOK_ASK_SUBJECT.format(when=svc.describe_when(occ, ctx.rt), title=svc.leader_title(occ.session),
                                         form=occ.session.form, place=occ.session.place, cases=case_lines)


def _refusal(ctx: Context, occ: svc.Occurrence | None) -> str | None:
    if occ is None or occ.cancelled or occ.session.cancelled:
        return texts.BOOK_GONE
    if not occ.booking_open(ctx.rt):
        return texts.BOOK_CLOSED
    if occ.free <= 0:
        return texts.BOOK_FULL
    return None


@router.handle(state(BOOKING_SUBJECT, BOOKING_PEOPLE), command("取消", "退出", "放弃"))
async def abandon_booking(ctx: Context) -> str:
    await conversation.reset(ctx)
    return texts.BOOK_ABANDONED


@router.handle(state(BOOKING_SUBJECT, BOOKING_PEOPLE), command("帮助"))
async def booking_help(ctx: Context) -> str:
    return texts.BOOKING_HELP + "\n" + (texts.BOOK_SUBJECT_EMPTY if ctx.extra.get("state") == BOOKING_SUBJECT
                                        else texts.BOOK_ASK_PEOPLE)


@router.handle(state(BOOKING_SUBJECT), msg_type("text", "voice"))
async def take_subject(ctx: Context) -> str:
    text = ctx.text.strip()
    if not text:
        return texts.BOOK_SUBJECT_EMPTY
    listed = (await conversation.load(ctx)).data.get("case_numbers") or []
    match = CASE_NUMBER.search(text)
    # A bare "1", "2"… picks from the cases listed in the question, as shown to the citizen.
    picked = parse_number(text, low=1, high=len(listed))
    number = listed[picked - 1] if picked is not None else (match.group() if match else None)
    if number:
        case = await svc.citizen_case(ctx.session, ctx.openid, number)
        if case is None:
            return texts.BOOK_UNKNOWN_CASE.format(number=number.upper())
        await conversation.update_data(ctx, case_id=case.id, description=None)
    else:
        await conversation.update_data(ctx, case_id=None, description=text[:svc.DESCRIPTION_MAX])
    conv = await conversation.load(ctx)
    await conversation.set_state(ctx, BOOKING_PEOPLE, conv.data)
    return texts.BOOK_ASK_PEOPLE


@router.handle(state(BOOKING_PEOPLE), msg_type("text", "voice"))
async def take_people(ctx: Context) -> str:
    people = svc.parse_people(ctx.text)
    if people is None or not 1 <= people <= svc.MAX_PEOPLE:
        return texts.BOOK_BAD_PEOPLE
    data = dict((await conversation.load(ctx)).data or {})
    result = await svc.book(ctx.session, ctx.rt, openid=ctx.openid, session_id=int(data["session_id"]),
                            day=date.fromisoformat(data["day"]), people=people, case_id=data.get("case_id"),
                            description=data.get("description"))
    await conversation.reset(ctx)
    if result.booking is None:
        return {"full": texts.BOOK_FULL, "closed": texts.BOOK_CLOSED, "already": texts.BOOK_ALREADY,
                "people": texts.BOOK_BAD_PEOPLE}.get(result.error or "", texts.BOOK_GONE)
    occ = result.occurrence
    assert occ is not None
    await ctx.session.refresh(result.booking, ["case"])
    return texts.BOOKED.format(when=svc.describe_when(occ, ctx.rt), title=svc.leader_title(occ.session),
                               place=occ.session.place, form=occ.session.form,
                               subject=svc.booking_subject(result.booking), people=people)


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

@router.handle(command("接访名单"), staff_or_above())
async def visitor_list(ctx: Context) -> str:
    assert ctx.person is not None
    if ctx.args:
        day = parse_day(" ".join(ctx.args), ctx.rt.local_now().date())
        if day is None:
            return texts.LIST_BAD_DATE.format(text=" ".join(ctx.args))
    else:
        day = await svc.next_day_for_person(ctx.session, ctx.rt, ctx.person)
        if day is None:
            return texts.LIST_NOTHING_AHEAD
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
