"""Citizen commands on a decided case: ``申请复查``, ``申请复核`` (§2) and the 回头看 answers (§5).

Included before the citizen router: these words are commands in every state (a 补充 or a draft
report does not swallow them). A bare ``1``/``2`` answers a pending 回头看 question when that is the
most recent thing the citizen was asked; otherwise it is a satisfaction rating as before.
"""

from __future__ import annotations

import re

from bot.dispatch import Context, command, idle, role, text_matches
from bot.services import citizen_cases, follow_up, reviews
from handlers.commands import CITIZEN, audience_router
from handlers.flows import rating
from handlers.texts import lifecycle as texts
from nlp.normalize import after_words

router = audience_router("reviews", CITIZEN, role("citizen"))

_ANSWER = re.compile(r"^([12])(?:\s|$|已解决|仍有问题)")
_EXPLICIT = re.compile(r"^[12]\s*(已解决|仍有问题)")
_NOTE_PREFIX = re.compile(r"^[12]\s*(已解决|仍有问题)?[\s，,：:]*")


def _typed(ctx: Context, skip: int) -> str:
    return after_words(ctx.raw_text, skip)


async def _request(ctx: Context, level: int) -> str:
    number = citizen_cases.parse_number(ctx.args[0]) if ctx.args else None
    if number is None:
        return texts.REVIEW_USAGE if level == reviews.REVIEW else texts.RECHECK_USAGE
    outcome = await reviews.request(ctx.session, ctx.rt, ctx.openid, number, level, _typed(ctx, 2))
    if not outcome.ok:
        template = texts.REVIEW_ERRORS[outcome.reason]
        return template.format(**{"number": number, **outcome.detail})
    review = outcome.review
    assert review is not None
    original = await reviews.original_number(ctx.session, review) or ""
    return texts.REVIEW_OPENED.format(level=reviews.LEVEL_NAMES[level], number=review.number, original=original,
                                      body=review.department.name,
                                      due=reviews._day(ctx.rt, review.resolve_due_at or ctx.rt.now()))


@router.handle(command("申请复查", "复查"))
async def request_review(ctx: Context) -> str | None:
    return await _request(ctx, reviews.REVIEW)


@router.handle(command("申请复核", "复核"))
async def request_recheck(ctx: Context) -> str | None:
    return await _request(ctx, reviews.RECHECK)


@router.handle(text_matches(lambda t: bool(_EXPLICIT.match(t))))
@router.handle(idle(), text_matches(lambda t: bool(_ANSWER.match(t))))
async def follow_up_answer(ctx: Context) -> str | None:
    """``1 已解决`` / ``2 仍有问题 …`` in any state; a bare 1 / 2 while idle (else a rating)."""
    case = await follow_up.pending(ctx.session, ctx.rt, ctx.openid)
    if case is None and _EXPLICIT.match(ctx.text):
        return texts.FOLLOW_UP_NONE
    if case is None or not await _follow_up_is_latest(ctx, case):
        return await rating.rate_digit(ctx)
    resolved = ctx.text.startswith("1")
    note = _NOTE_PREFIX.sub("", _typed(ctx, 0), count=1).strip()
    result = await follow_up.answer(ctx.session, ctx.rt, case, ctx.openid, resolved, note)
    if resolved:
        return texts.FOLLOW_UP_RESOLVED.format(number=case.number)
    if result.new_case is not None:
        return texts.FOLLOW_UP_NEW_CASE.format(number=case.number, new=result.new_case.number)
    reply = texts.FOLLOW_UP_REOPENED.format(number=case.number)
    return reply if note else reply + "\n" + texts.FOLLOW_UP_NEED_NOTE


async def _follow_up_is_latest(ctx: Context, case) -> bool:  # type: ignore[no-untyped-def]
    """A bare digit goes to whichever question came last: the 回头看 or a rating request."""
    if "已解决" in ctx.text or "仍有问题" in ctx.text:
        return True
    unrated = await citizen_cases.unrated_case(ctx.session, ctx.openid)
    if unrated is None or unrated.resolved_at is None:
        return True
    return case.follow_up_asked_at is not None and case.follow_up_asked_at > unrated.resolved_at
