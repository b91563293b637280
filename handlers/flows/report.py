"""The citizen's report conversation: description → place → phone → confirmation → a filed case.

The table at the bottom maps each stage (``DraftStage``, the draft's stored state) and each kind of
input (words, a skip word, 确认, a photo / voice / video, a location) to a step. Photos, voice and
locations fit in at any stage; every media message is attached to the draft before its step runs.
The draft itself (``ReportDraft``) and what can be done with it — file it, discard it, remind the
citizen of it after 30 minutes — belong to ``bot.services.report_drafts``; the steps here only move
the conversation and word the reply (``handlers.texts.citizen``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from bot.dispatch import TEXTUAL, Context, Filter, Handler, command, msg_type, outside
from bot.services import intake_limits, media, reviews
from bot.services import report_drafts as drafts
from bot.services.report_drafts import PROMPTS, DraftStage, ReportDraft
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.inbound import MEDIA_TYPES, media_of, place_of
from handlers.texts.citizen import Reply, render
from nlp.normalize import after_words

IDLE = conversation.IDLE
SKIP_WORDS = frozenset({"跳过", "无", "没有", "不填", "略过", "不用"})
CONFIRM_WORDS = frozenset({"确认", "确定", "提交", "确认提交", "是", "好", "好的", "对"})
CANCEL_WORDS = frozenset({"取消", "放弃", "取消反映"})

ReportStep = Callable[[Context, ReportDraft], Awaitable[Reply]]


# ---- kinds of input (the table's columns) ---------------------------------------------------------

def _words_in(words: frozenset[str]) -> Filter:
    def says(ctx: Context) -> bool:
        return ctx.msg_type in TEXTUAL and bool(ctx.text) and ctx.text in words

    return says


def _media(ctx: Context) -> bool:
    # A voice message whose speech was recognised counts as words (it is attached all the same).
    return ctx.msg_type in MEDIA_TYPES and not (ctx.msg_type == "voice" and ctx.text)


SKIP = _words_in(SKIP_WORDS)
CONFIRM = _words_in(CONFIRM_WORDS)
MEDIA = msg_type(*MEDIA_TYPES)  # narrowed by ``_media`` below (the index reads the message types)
LOCATION = msg_type("location")
WORDS = msg_type("text", "voice")  # after the others: any other text (an empty one included)


def _run(step: ReportStep) -> Handler:
    """A table step: the draft (a fresh one outside the flow) with any media attached first."""
    async def handler(ctx: Context) -> str | None:
        in_flow = ctx.state in FLOW
        draft = conversation.load(ctx, ReportDraft) if in_flow else ReportDraft()
        if ctx.msg_type in MEDIA_TYPES:
            if await intake_limits.draft_attachments_full(ctx.session, ctx.rt, ctx.openid):
                return render(Reply("draft_attachments_full", {"limit": str(ctx.rt.settings.max_draft_attachments)}))
            attachment = await media.attach_media(ctx.session, ctx.rt, ctx.openid, media_of(ctx))
            draft.attachments = [*draft.attachments, attachment.id]
        return render(await step(ctx, draft))

    handler.__name__ = step.__name__
    handler.__doc__ = step.__doc__
    return handler


def _stage(ctx: Context) -> DraftStage:
    return DraftStage(ctx.state)


def _started(ctx: Context, draft: ReportDraft) -> ReportDraft:
    return dataclasses.replace(draft, started_at=draft.started_at or ctx.rt.now().isoformat())


# ---- steps --------------------------------------------------------------------------------------

async def start_report(ctx: Context, draft: ReportDraft) -> Reply:
    problem = drafts.content_problem(ctx.text)
    if problem:
        if draft.attachments:
            # A voice message too short to be a report: keep it on a draft, wait for the words.
            conversation.enter(ctx, DraftStage.CONTENT, _started(ctx, draft))
        return Reply(problem)
    return await _take_description(ctx, draft)


async def take_content(ctx: Context, draft: ReportDraft) -> Reply:
    problem = drafts.content_problem(ctx.text)
    if problem:
        return Reply(problem)
    return await _take_description(ctx, draft)


async def _take_description(ctx: Context, draft: ReportDraft) -> Reply:
    text = after_words(ctx.raw_text, 0)  # stored as typed; ``ctx.text`` is only for matching
    # Only a citizen with a reviewed case can repeat finally decided facts: the rest skip the lookup.
    final = await reviews.finally_decided(ctx.session, ctx.openid, text) if ctx.has_reviewed_cases else None
    if final is not None:
        # The same facts as a case whose 复核 is answered: not accepted again (条例 art. 35), said so.
        conversation.reset(ctx)
        return Reply("not_accepted_again", {"number": final.number, "basis": reviews.LEGAL_BASIS})
    draft, decision, truncated = drafts.describe(ctx.rt, draft, text)
    params = {"category": decision.category, "department": decision.department, "truncated": truncated}
    if draft.has_place:
        # The place came with the media before the words: go straight to the phone.
        conversation.enter(ctx, DraftStage.PHONE, draft)
        return Reply("ask_phone_after_content", params)
    conversation.enter(ctx, DraftStage.PLACE, draft)
    return Reply("ask_place", params)


async def start_with_media(ctx: Context, draft: ReportDraft) -> Reply:
    conversation.enter(ctx, DraftStage.CONTENT, _started(ctx, draft))
    return Reply("media_first")


async def start_with_location(ctx: Context, draft: ReportDraft) -> Reply:
    draft = _started(ctx, _with_place(ctx, draft))
    conversation.enter(ctx, DraftStage.CONTENT, draft)
    return Reply("location_first", {"place": draft.location_text})


async def media_noted(ctx: Context, draft: ReportDraft) -> Reply:
    conversation.save(ctx, draft)
    return Reply("media_added", {"count": str(len(draft.attachments)), "prompt": PROMPTS[_stage(ctx)]})


async def take_address(ctx: Context, draft: ReportDraft) -> Reply:
    place = drafts.address(after_words(ctx.raw_text, 0))
    if place is None:
        return Reply("bad_place")
    draft = dataclasses.replace(draft, location_text=place)
    conversation.enter(ctx, DraftStage.PHONE, draft)
    return Reply("ask_phone", {"place": draft.location_text})


async def take_location(ctx: Context, draft: ReportDraft) -> Reply:
    draft = _with_place(ctx, draft)
    if _stage(ctx) is DraftStage.PLACE:
        conversation.enter(ctx, DraftStage.PHONE, draft)
        return Reply("ask_phone", {"place": draft.location_text})
    conversation.save(ctx, draft)
    return Reply("location_added", {"place": draft.location_text, "prompt": PROMPTS[_stage(ctx)]})


async def skip_place(ctx: Context, draft: ReportDraft) -> Reply:
    conversation.enter(ctx, DraftStage.PHONE, draft)
    return Reply("ask_phone", {"place": "未提供"})


async def take_phone(ctx: Context, draft: ReportDraft) -> Reply:
    phone = drafts.phone_in(ctx.text)
    if phone is None:
        return Reply("bad_phone")
    return await _ask_confirm(ctx, dataclasses.replace(draft, phone=phone))


async def skip_phone(ctx: Context, draft: ReportDraft) -> Reply:
    return await _ask_confirm(ctx, dataclasses.replace(draft, phone=None))


async def _ask_confirm(ctx: Context, draft: ReportDraft) -> Reply:
    conversation.enter(ctx, DraftStage.CONFIRM, draft)
    return Reply("ask_confirm", drafts.summary(draft))


async def confirm(ctx: Context, draft: ReportDraft) -> Reply:
    if await intake_limits.case_limit_reached(ctx.session, ctx.rt, ctx.openid):
        # The draft stays in the confirmation stage: "确认" later files it.
        return Reply("case_limit", {"limit": str(ctx.rt.settings.max_cases_per_hour)})
    filed = await drafts.file_report(ctx.session, ctx.rt, ctx.openid, draft)
    conversation.reset(ctx)
    return Reply("filed", {"number": filed.number, "department": filed.department, "ack_due": filed.ack_due,
                           "repeat_of": filed.repeat_of, "attachments": str(filed.attachments)})


async def ask_again(ctx: Context, draft: ReportDraft) -> Reply:
    return Reply("ask_again", {"prompt": PROMPTS[_stage(ctx)]})


async def confirm_with_nothing(ctx: Context, draft: ReportDraft) -> Reply:
    return Reply("nothing_pending")


def _with_place(ctx: Context, draft: ReportDraft) -> ReportDraft:
    where = place_of(ctx)
    return dataclasses.replace(draft, latitude=where.latitude, longitude=where.longitude, location_text=where.text)


# ---- fallbacks and help -----------------------------------------------------------------------------

async def cancel(ctx: Context) -> str | None:
    """取消 in any stage: drop the draft and the media sent for it; no case is created."""
    await drafts.discard(ctx.session, ctx.rt, ctx.openid, conversation.load(ctx, ReportDraft))
    conversation.reset(ctx)
    return render(Reply("cancelled"))


def help_reply(ctx: Context) -> Reply:
    """帮助: what the citizen can do at this point (inside a draft: what the draft waits for)."""
    if ctx.state in FLOW:
        return Reply("help_in_flow", {"prompt": PROMPTS[_stage(ctx)]})
    return Reply("help")


# ---- the table ----------------------------------------------------------------------------------

def _row(words: ReportStep, skip: ReportStep, confirm_: ReportStep, media_: ReportStep,
         location: ReportStep, *extra: Filter) -> list[Step]:
    """One row of the table, columns in the order they are tried."""
    return [Step(_run(skip), SKIP, *extra), Step(_run(confirm_), CONFIRM, *extra),
            Step(_run(media_), MEDIA, _media, *extra), Step(_run(location), LOCATION, *extra),
            Step(_run(words), WORDS, *extra)]


FLOW = Flow(
    "report", DraftStage,
    # Outside a draft (idle, or any other flow's state that did not take the message) a report starts.
    entry_points=_row(start_report, confirm_with_nothing, confirm_with_nothing, start_with_media,
                      start_with_location, outside(*DraftStage)),
    states={
        #                     words          skip          确认          media         location
        DraftStage.CONTENT: _row(take_content, ask_again, ask_again, media_noted, take_location),
        DraftStage.PLACE: _row(take_address, skip_place, ask_again, media_noted, take_location),
        DraftStage.PHONE: _row(take_phone, skip_phone, ask_again, media_noted, take_location),
        DraftStage.CONFIRM: _row(ask_again, ask_again, confirm, media_noted, take_location),
    },
    fallbacks=[Step(cancel, command(*CANCEL_WORDS))],
)
