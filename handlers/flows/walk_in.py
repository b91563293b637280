"""登记 [内容]: staff register a visitor's problem at reception (a case filed by them, 首问 theirs).

With the content on the command line the case is filed at once; otherwise the conversation waits
in ``WalkInState.CONTENT`` for it; 取消 abandons it. Filing is ``bot.services.workflow.register_walk_in``.
"""

from __future__ import annotations

from enum import StrEnum

from bot.dispatch import Context, command, msg_type, staff_or_above
from bot.services import workflow
from handlers.commands import STAFF
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.staff import bound_person, error_text
from handlers.texts import staff as texts
from nlp import find_phones


class WalkInState(StrEnum):
    CONTENT = "staff_register"


async def _register(ctx: Context, content: str) -> str:
    phones = find_phones(content)
    outcome = await workflow.register_walk_in(ctx.session, ctx.rt, bound_person(ctx), content,
                                              phone=phones[0] if phones else None)
    if not outcome.ok:
        return error_text(outcome) if outcome.reason != "text_required" else texts.REGISTER_ASK
    case = outcome.case
    assert case is not None
    conversation.remember_list(ctx, [case.id])
    return texts.REGISTER_DONE.format(number=case.number, title=case.title, category=case.category,
                                      dept=outcome.detail["department"], due=outcome.detail["due"])


async def register(ctx: Context) -> str | None:
    content = " ".join(ctx.args)
    if not content:
        conversation.enter(ctx, WalkInState.CONTENT)
        return texts.REGISTER_ASK
    return await _register(ctx, content)


async def register_content(ctx: Context) -> str | None:
    conversation.reset(ctx)
    return await _register(ctx, ctx.text)


async def register_cancel(ctx: Context) -> str | None:
    conversation.reset(ctx)
    return texts.REGISTER_CANCELLED


FLOW = Flow(
    "walk-in", WalkInState, audience=STAFF, router_filters=[staff_or_above()],
    entry_points=[Step(register, command("登记"))],
    states={WalkInState.CONTENT: [Step(register_content, msg_type("text", "voice"))]},
    fallbacks=[Step(register_cancel, command("取消"))],
)
