"""补充 <编号> [内容]: a citizen adds words, photos or voice to one of their cases.

With the words on the command line they are added at once; otherwise the conversation waits in
``SupplementState.MATERIAL``: words end it, photos and voice keep coming until 完成. The material is
logged on the case and passed on by ``bot.services.citizen_cases.add_material``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.dispatch import Context, command, msg_type
from bot.services import citizen_cases, media
from bot.services.report_drafts import DraftStage
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.flows.state import FlowData
from handlers.inbound import is_media, media_of
from handlers.texts import citizen as texts
from handlers.texts.citizen import Reply

DONE_WORDS = frozenset({"完成", "结束", "好了", "没有了", "取消"})


class SupplementState(StrEnum):
    MATERIAL = "report_supplement"


@dataclass
class SupplementData(FlowData):
    case_id: int | None = None
    number: str = ""


async def start(ctx: Context) -> str | None:
    """``补充 <编号> [内容]``."""
    if ctx.state in {str(s) for s in DraftStage}:
        return texts.render(Reply("finish_report_first"))
    number = citizen_cases.parse_number(ctx.args[0] if ctx.args else None)
    if number is None:
        return texts.render(Reply("supplement_usage"))
    target = await citizen_cases.supplement_target(ctx.session, ctx.openid, number)
    case = target.case
    if target.problem is not None or case is None:
        return texts.render(Reply(target.problem or "case_not_found",
                                  {"number": case.number if case else number, "status": target.status}))
    rest = " ".join(ctx.args[1:]).strip()
    if rest:
        await citizen_cases.add_material(ctx.session, ctx.rt, case, ctx.openid, text=rest)
        return texts.render(Reply("supplement_added", {"number": case.number}))
    conversation.enter(ctx, SupplementState.MATERIAL, SupplementData(case.id, case.number))
    return texts.render(Reply("supplement_waiting", {"number": case.number}))


async def material(ctx: Context) -> str | None:
    """A message while waiting: text ends it, photos keep coming until 完成."""
    data = conversation.load(ctx, SupplementData)
    case = await citizen_cases.own_case(ctx.session, ctx.openid, data.case_id)
    if case is None:
        conversation.reset(ctx)
        return texts.render(Reply("help"))
    if ctx.msg_type in ("text", "voice") and ctx.text in DONE_WORDS:
        conversation.reset(ctx)
        return texts.render(Reply("supplement_done", {"number": case.number}))
    if is_media(ctx):
        attachment = await media.attach_media(ctx.session, ctx.rt, ctx.openid, media_of(ctx))
        kind = attachment.kind
        await citizen_cases.add_material(ctx.session, ctx.rt, case, ctx.openid, attachment=attachment)
        if kind != "voice" or not ctx.text:
            return texts.render(Reply("supplement_media_added", {"number": case.number}))
        conversation.reset(ctx)
        return texts.render(Reply("supplement_added", {"number": case.number}))
    if ctx.msg_type == "text" and ctx.text:
        await citizen_cases.add_material(ctx.session, ctx.rt, case, ctx.openid, text=ctx.text)
        conversation.reset(ctx)
        return texts.render(Reply("supplement_added", {"number": case.number}))
    return texts.render(Reply("supplement_waiting", {"number": case.number}))


FLOW = Flow(
    "supplement", SupplementState, audience="citizen",
    entry_points=[Step(start, command("补充"))],
    states={SupplementState.MATERIAL: [Step(material, msg_type("text", "voice", "image", "video", "shortvideo"))]},
)
