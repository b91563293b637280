"""预约 <序号>: a citizen books a slot on a leader's reception day, in two steps.

``BookingState.SUBJECT`` asks what it is about (a case number, a listed case's index, or a short
description), ``BookingState.PEOPLE`` how many will come (1–5, the 五人代表 rule); 取消 abandons it.
The slot itself is taken only at the last step, by the service's guarded update
(``bot.services.reception.book``). The numbers in ``预约 2`` refer to the list ``接访安排`` showed
(``handlers.reception``), remembered in the conversation record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.dispatch import Context, command, msg_type, role, state
from bot.services import reception as svc
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.flows.state import IDLE, FlowData
from handlers.texts import reception as texts
from nlp.numbers import parse_number

LIST_KEY = "reception_list"
CASE_NUMBER = re.compile(r"XF\d{8}-\d{4}", re.IGNORECASE)


class BookingState(StrEnum):
    SUBJECT = "booking_subject"
    PEOPLE = "booking_people"


@dataclass
class BookingData(FlowData):
    session_id: int = 0
    day: str = ""  # ISO date of the occurrence
    case_numbers: list[str] = field(default_factory=list)  # the citizen's cases, as listed in the question
    case_id: int | None = None
    description: str | None = None


async def start_booking(ctx: Context) -> str:
    index = parse_number(ctx.args[0]) if len(ctx.args) == 1 else None
    if index is None:
        return texts.BOOK_USAGE
    listed = (ctx.conversation.data or {}).get(LIST_KEY) or [
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
    conversation.enter(ctx, BookingState.SUBJECT,
                       BookingData(session_id=session_id, day=day, case_numbers=[c.number for c in cases]))
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


async def abandon_booking(ctx: Context) -> str:
    conversation.reset(ctx)
    return texts.BOOK_ABANDONED


async def booking_help(ctx: Context) -> str:
    return texts.BOOKING_HELP + "\n" + (texts.BOOK_SUBJECT_EMPTY if ctx.state == BookingState.SUBJECT
                                        else texts.BOOK_ASK_PEOPLE)


async def take_subject(ctx: Context) -> str:
    text = ctx.text.strip()
    if not text:
        return texts.BOOK_SUBJECT_EMPTY
    data = conversation.load(ctx, BookingData)
    listed = data.case_numbers
    match = CASE_NUMBER.search(text)
    # A bare "1", "2"… picks from the cases listed in the question, as shown to the citizen.
    picked = parse_number(text, low=1, high=len(listed))
    number = listed[picked - 1] if picked is not None else (match.group() if match else None)
    if number:
        case = await svc.citizen_case(ctx.session, ctx.openid, number)
        if case is None:
            return texts.BOOK_UNKNOWN_CASE.format(number=number.upper())
        data.case_id, data.description = case.id, None
    else:
        data.case_id, data.description = None, text[:svc.DESCRIPTION_MAX]
    conversation.enter(ctx, BookingState.PEOPLE, data)
    return texts.BOOK_ASK_PEOPLE


async def take_people(ctx: Context) -> str:
    people = svc.parse_people(ctx.text)
    if people is None or not 1 <= people <= svc.MAX_PEOPLE:
        return texts.BOOK_BAD_PEOPLE
    data = conversation.load(ctx, BookingData)
    result = await svc.book(ctx.session, ctx.rt, openid=ctx.openid, session_id=int(data.session_id),
                            day=date.fromisoformat(data.day), people=people, case_id=data.case_id,
                            description=data.description)
    conversation.reset(ctx)
    if result.booking is None:
        return {"full": texts.BOOK_FULL, "closed": texts.BOOK_CLOSED, "already": texts.BOOK_ALREADY,
                "people": texts.BOOK_BAD_PEOPLE}.get(result.error or "", texts.BOOK_GONE)
    occ = result.occurrence
    assert occ is not None
    return texts.BOOKED.format(when=svc.describe_when(occ, ctx.rt), title=svc.leader_title(occ.session),
                               place=occ.session.place, form=occ.session.form,
                               subject=await svc.subject_of(ctx.session, result.booking), people=people)


TEXT = msg_type("text", "voice")

FLOW = Flow(
    "booking", BookingState, audience="citizen",
    entry_points=[Step(start_booking, command("预约"), role("citizen"), state(IDLE, *BookingState))],
    states={BookingState.SUBJECT: [Step(take_subject, TEXT)], BookingState.PEOPLE: [Step(take_people, TEXT)]},
    fallbacks=[Step(abandon_booking, command("取消", "退出", "放弃")), Step(booking_help, command("帮助"))],
)
