"""补充 <编号> [内容]: a citizen adds words, photos or voice to one of their cases.

With the words on the command line they are added at once (and the case's people told once).
Otherwise a session opens in ``SupplementState.MATERIAL``: texts, photos and voice messages go to
that case until ``完成`` (or ``取消``), another command (``leave``, hooked into the dispatcher by
``handlers.build_dispatcher``), or ten silent minutes (the ``supplement_sessions`` job). Then the
citizen gets one summary and the case's people one notice (``bot.services.citizen_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.dispatch import Context, command, msg_type
from bot.services import citizen_cases, media
from bot.services.report_drafts import DraftStage
from handlers.commands import material as not_a_command
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.flows.state import FlowData
from handlers.inbound import is_media, media_of
from handlers.texts import citizen as texts
from handlers.texts.citizen import Reply
from nlp.normalize import after_words

DONE_WORDS = ("完成", "结束", "好了", "没有了", "取消")


class SupplementState(StrEnum):
    MATERIAL = citizen_cases.SUPPLEMENT_STATE


@dataclass
class SupplementData(FlowData):
    case_id: int | None = None
    number: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)


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
    rest = after_words(ctx.raw_text, 2)
    if rest:
        await citizen_cases.add_material(ctx.session, ctx.rt, case, ctx.openid, text=rest)
        await citizen_cases.notify_case_people(ctx.session, ctx.rt, case, {"text": 1}, rest[:200])
        return texts.render(Reply("supplement_added", {"number": case.number}))
    conversation.enter(ctx, SupplementState.MATERIAL, SupplementData(case.id, case.number))
    return texts.render(Reply("supplement_waiting", {"number": case.number}))


async def material(ctx: Context) -> str | None:
    """A message during the session: material for the case, counted for the summary."""
    data = conversation.load(ctx, SupplementData)
    target = await citizen_cases.supplement_target(ctx.session, ctx.openid, data.number)
    case = target.case
    if case is None or case.id != data.case_id:
        conversation.reset(ctx)
        return texts.render(Reply("help"))
    if target.problem is not None:
        conversation.reset(ctx)
        return texts.render(Reply(target.problem, {"number": case.number, "status": target.status}))
    if is_media(ctx):
        attachment = await media.attach_media(ctx.session, ctx.rt, ctx.openid, media_of(ctx))
        await citizen_cases.add_material(ctx.session, ctx.rt, case, ctx.openid, attachment=attachment)
        kind = attachment.kind
        said = attachment.recognition or ""
    elif ctx.msg_type == "text" and ctx.text:
        said = after_words(ctx.raw_text, 0)
        await citizen_cases.add_material(ctx.session, ctx.rt, case, ctx.openid, text=said)
        kind = "text"
    else:
        return texts.render(Reply("supplement_waiting", {"number": case.number}))
    data.counts[kind] = int(data.counts.get(kind, 0)) + 1
    if said and len(data.texts) < citizen_cases.NOTICE_SNIPPETS:
        data.texts.append(said[:200])
    conversation.save(ctx, data)
    return texts.render(Reply("supplement_media_added",
                              {"number": case.number, "what": citizen_cases.summary_of(data.counts)}))


async def finish(ctx: Context) -> str | None:
    """``完成`` / ``取消``: the summary as the reply."""
    data = conversation.load(ctx, SupplementData)
    conversation.reset(ctx)
    text = await citizen_cases.close_session(ctx.session, ctx.rt, ctx.openid, data.case_id, data.counts, data.texts)
    return text or texts.render(Reply("help"))


async def leave(ctx: Context) -> None:
    """Another command ends the session first; its summary goes to the citizen as a message."""
    data = conversation.load(ctx, SupplementData)
    conversation.reset(ctx)
    text = await citizen_cases.close_session(ctx.session, ctx.rt, ctx.openid, data.case_id, data.counts, data.texts)
    await citizen_cases.send_summary(ctx.session, ctx.rt, ctx.openid, data.case_id, data.number, text)


FLOW = Flow(
    "supplement", SupplementState, audience="citizen",
    entry_points=[Step(start, command("补充"))],
    states={SupplementState.MATERIAL: [
        Step(finish, command(*DONE_WORDS)),
        Step(material, not_a_command(), msg_type("text", "voice", "image", "video", "shortvideo")),
    ]},
)
# The handlers that belong to a session: anything else answering a message in it ends it first.
SESSION_HANDLERS = (finish, material)
