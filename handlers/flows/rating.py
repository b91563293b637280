"""Rating a resolved case: ``评价 <编号> <1|2|3> [理由]`` or a bare ``1``/``2``/``3``.

A 不满意 (3) without a reason reopens the case and asks why: the conversation then waits in
``RatingState.REASON`` for one message, passed on by ``bot.services.rating.add_reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.dispatch import Context, command, idle, msg_type, text_matches
from bot.services import citizen_cases, rating
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.flows.report import CANCEL_WORDS
from handlers.flows.state import FlowData
from handlers.texts import citizen as texts
from handlers.texts.citizen import Reply

RATING_DIGITS = ("1", "2", "3")


class RatingState(StrEnum):
    REASON = "report_rate_reason"


@dataclass
class RatingData(FlowData):
    case_id: int | None = None


async def rate_command(ctx: Context) -> str | None:
    """``评价 <编号> <1|2|3> [理由]``."""
    args = ctx.args
    number = citizen_cases.parse_number(args[0]) if args else None
    if number is None or len(args) < 2 or args[1] not in RATING_DIGITS:
        return texts.render(Reply("rate_usage"))
    case = await citizen_cases.citizen_case(ctx.session, ctx.openid, number)
    if case is None:
        return texts.render(Reply("case_not_found", {"number": number}))
    return await _rate(ctx, case, int(args[1]), " ".join(args[2:]) or None)


async def rate_digit(ctx: Context) -> str | None:
    """A bare ``1``/``2``/``3`` (optionally with a reason) rates the latest resolved case."""
    case = await citizen_cases.unrated_case(ctx.session, ctx.openid)
    if case is None:
        return texts.render(Reply("nothing_to_rate"))
    return await _rate(ctx, case, int(ctx.text[0]), ctx.text[1:].strip() or None)


async def _rate(ctx: Context, case: Any, score: int, reason: str | None) -> str:
    outcome = await rating.rate(ctx.session, ctx.rt, case, score, reason, ctx.openid)
    if not outcome.ok:
        return texts.render(Reply("rate_not_resolved", {"number": case.number}))
    if outcome.needs_reason:
        conversation.enter(ctx, RatingState.REASON, RatingData(case.id))
        return texts.render(Reply("rated_unsatisfied", {"number": case.number}))
    if outcome.reopened:
        return texts.render(Reply("rated_unsatisfied_with_reason", {"number": case.number}))
    return texts.render(Reply("rated", {"number": case.number, "label": texts.RATING_LABELS[score]}))


async def reason(ctx: Context) -> str | None:
    data = conversation.load(ctx, RatingData)
    conversation.reset(ctx)
    case = await citizen_cases.own_case(ctx.session, ctx.openid, data.case_id)
    if case is None or ctx.text in CANCEL_WORDS or not ctx.text:
        return texts.render(Reply("help"))
    await rating.add_reason(ctx.session, ctx.rt, case, ctx.text, ctx.openid)
    return texts.render(Reply("reason_received", {"number": case.number}))


def _digit_rating(text: str) -> bool:
    return text[:1] in RATING_DIGITS and (len(text) == 1 or text[1] == " ")


FLOW = Flow(
    "rating", RatingState, audience="citizen",
    entry_points=[Step(rate_command, command("评价")), Step(rate_digit, idle(), text_matches(_digit_rating))],
    states={RatingState.REASON: [Step(reason, msg_type("text", "voice"))]},
)
