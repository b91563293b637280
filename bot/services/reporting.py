"""The citizen's report conversation: description → place → phone → confirmation → a filed case.

Shaped like python-telegram-bot's ``ConversationHandler``: ``FLOW`` maps each state to the steps
that accept each kind of input, ``FALLBACKS`` (取消, 帮助) apply in every state. The state and the
draft (content, routing decision, place, phone, attachment ids) live in the ``conversations``
table, so whichever worker gets the next message continues the report. Photos, voice and location
messages fit in at any step; a draft left for 30 minutes is kept and the citizen reminded once.

Steps return a ``Reply`` (a template key plus values); the handler words it in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dispatch import Context
from bot.outbox import notify
from bot.runtime import Runtime
from bot.services import conversation, intake_limits, media, risk
from bot.services.cases import Actor, file_case, notify_new_case
from nlp import Decision, find_phones
from storage.models import Attachment, Conversation, Follower
from storage.repositories.cases import draft_attachments
from storage.repositories.departments import department_named

IDLE = conversation.IDLE
CONTENT = "report_content"  # a photo / location came first: waiting for the description
PLACE = "report_place"
PHONE = "report_phone"
CONFIRM = "report_confirm"
FLOW_STATES = (CONTENT, PLACE, PHONE, CONFIRM)

# Input kinds a message is classified into before the table is consulted.
TEXT, MEDIA, LOCATION, SKIP, CONFIRM_WORD = "text", "media", "location", "skip", "confirm"
SKIP_WORDS = frozenset({"跳过", "无", "没有", "不填", "略过", "不用"})
CONFIRM_WORDS = frozenset({"确认", "确定", "提交", "确认提交", "是", "好", "好的", "对"})
CANCEL_WORDS = frozenset({"取消", "放弃", "取消反映"})
GREETINGS = frozenset({"你好", "您好", "在吗", "在不在", "有人吗", "hi", "hello", "哈喽", "嗨", "谢谢", "谢谢你"})

MIN_CJK = 4  # "路灯坏了" is the shortest report that says something
MAX_CONTENT = 10000
MAX_PLACE = 200
DRAFT_REMINDER_AFTER = timedelta(minutes=30)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LANDLINE = re.compile(r"^\+?[0-9][0-9\- ]{6,19}$")

DRAFT_REMINDER = ("您有一条未提交的反映：“{title}”。{prompt}\n"
                  "如不再需要，发送“取消”。")
_PROMPTS = {CONTENT: "请发送文字或语音描述问题。", PLACE: "请发送问题发生的地点（位置或地址），或回复“跳过”。",
            PHONE: "请留下联系电话，或回复“跳过”。", CONFIRM: "请回复“确认”提交。"}


@dataclass(frozen=True)
class Reply:
    """A reply template key and its values (already strings), worded by ``handlers.texts.citizen``."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


Step = Callable[[Context, dict[str, Any]], Awaitable[Reply]]


# ---- input checks -------------------------------------------------------------------------------

def content_problem(text: str) -> str | None:
    """Why ``text`` cannot start a report (a reply key), or None when it can."""
    if not text.strip():
        return "need_words"
    if text.strip().lower() in GREETINGS:
        return "greeting"
    cjk = len(_CJK.findall(text))
    if cjk == 0:
        return "need_chinese"
    if cjk < MIN_CJK:
        return "too_short"
    return None


def _classify(ctx: Context) -> str:
    if ctx.msg_type == "location":
        return LOCATION
    text = ctx.text
    if ctx.msg_type in ("text", "voice") and text:
        if text in SKIP_WORDS:
            return SKIP
        if text in CONFIRM_WORDS:
            return CONFIRM_WORD
        return TEXT
    if ctx.msg_type in ("image", "voice", "video", "shortvideo"):
        return MEDIA
    return TEXT  # an empty text message: the text step explains what is needed


# ---- steps --------------------------------------------------------------------------------------

async def start_report(ctx: Context, draft: dict[str, Any]) -> Reply:
    problem = content_problem(ctx.text)
    if problem:
        if draft.get("attachments"):
            # A voice message too short to be a report: keep it on a draft, wait for the words.
            await conversation.set_state(ctx, CONTENT, {**draft, "started_at": ctx.rt.now().isoformat()})
        return Reply(problem)
    return await _take_description(ctx, draft, ctx.text)


async def take_content(ctx: Context, draft: dict[str, Any]) -> Reply:
    problem = content_problem(ctx.text)
    if problem:
        return Reply(problem)
    return await _take_description(ctx, draft, ctx.text)


async def _take_description(ctx: Context, draft: dict[str, Any], text: str) -> Reply:
    content = text[:MAX_CONTENT]
    decision = ctx.rt.categoriser.categorise(content)
    draft = {**draft, "content": content, "decision": decision.as_dict(),
             "started_at": draft.get("started_at") or ctx.rt.now().isoformat()}
    params = {"category": decision.category, "department": decision.department,
              "truncated": len(text) > MAX_CONTENT}
    if draft.get("latitude") is not None or draft.get("location_text"):
        # The place came with the media before the words: go straight to the phone.
        await conversation.set_state(ctx, PHONE, draft)
        return Reply("ask_phone_after_content", params)
    await conversation.set_state(ctx, PLACE, draft)
    return Reply("ask_place", params)


async def start_with_media(ctx: Context, draft: dict[str, Any]) -> Reply:
    await conversation.set_state(ctx, CONTENT, {**draft, "started_at": ctx.rt.now().isoformat()})
    return Reply("media_first")


async def start_with_location(ctx: Context, draft: dict[str, Any]) -> Reply:
    draft = {**draft, **_location(ctx), "started_at": ctx.rt.now().isoformat()}
    await conversation.set_state(ctx, CONTENT, draft)
    return Reply("location_first", {"place": draft["location_text"]})


async def media_noted(ctx: Context, draft: dict[str, Any]) -> Reply:
    await conversation.update_data(ctx, **draft)
    state = ctx.extra.get("state", IDLE)
    return Reply("media_added", {"count": str(len(draft.get("attachments", []))), "prompt": _PROMPTS[state]})


async def take_address(ctx: Context, draft: dict[str, Any]) -> Reply:
    place = ctx.text[:MAX_PLACE]
    await conversation.set_state(ctx, PHONE, {**draft, "location_text": place})
    return Reply("ask_phone", {"place": place})


async def take_location(ctx: Context, draft: dict[str, Any]) -> Reply:
    draft = {**draft, **_location(ctx)}
    if ctx.extra.get("state") == PLACE:
        await conversation.set_state(ctx, PHONE, draft)
        return Reply("ask_phone", {"place": draft["location_text"]})
    await conversation.update_data(ctx, **draft)
    return Reply("location_added", {"place": draft["location_text"], "prompt": _PROMPTS[ctx.extra["state"]]})


async def skip_place(ctx: Context, draft: dict[str, Any]) -> Reply:
    await conversation.set_state(ctx, PHONE, draft)
    return Reply("ask_phone", {"place": "未提供"})


async def take_phone(ctx: Context, draft: dict[str, Any]) -> Reply:
    text = ctx.text
    phones = find_phones(text)
    phone = phones[0] if phones else (text.replace(" ", "") if _LANDLINE.match(text) else None)
    if phone is None:
        return Reply("bad_phone")
    return await _ask_confirm(ctx, {**draft, "phone": phone})


async def skip_phone(ctx: Context, draft: dict[str, Any]) -> Reply:
    return await _ask_confirm(ctx, {**draft, "phone": None})


async def _ask_confirm(ctx: Context, draft: dict[str, Any]) -> Reply:
    await conversation.set_state(ctx, CONFIRM, draft)
    decision = draft["decision"]
    return Reply("ask_confirm", {
        "content": _short(draft["content"], 60), "category": decision["category"],
        "department": decision["department"], "place": draft.get("location_text") or "未提供",
        "phone": draft.get("phone") or "未提供", "attachments": str(len(draft.get("attachments", []))),
    })


async def confirm(ctx: Context, draft: dict[str, Any]) -> Reply:
    rt, session = ctx.rt, ctx.session
    if await intake_limits.case_limit_reached(session, rt, ctx.openid):
        # The draft stays in the confirmation state: "确认" later files it.
        return Reply("case_limit", {"limit": str(rt.settings.max_cases_per_hour)})
    attachments = await draft_attachments(session, ctx.openid, draft.get("attachments", []))
    await department_named(session, draft["decision"]["department"])
    case = await file_case(
        session, rt, content=draft["content"], decision=_decision(draft["decision"]),
        actor=Actor.citizen(ctx.openid), openid=ctx.openid, source="wechat",
        location_text=draft.get("location_text"), latitude=draft.get("latitude"),
        longitude=draft.get("longitude"), phone=draft.get("phone"), attachments=attachments,
    )
    assessed = await risk.assess_new_case(session, rt, case)
    await notify_new_case(session, rt, case)
    await conversation.reset(ctx)
    return Reply("filed", {
        "number": case.number, "department": draft["decision"]["department"],
        "ack_due": case.ack_due_at.astimezone(rt.tz).strftime("%Y年%m月%d日") if case.ack_due_at else "",
        "repeat_of": assessed.repeat_of.number if assessed.repeat_of else "",
        "attachments": str(len(attachments)),
    })


async def ask_again(ctx: Context, draft: dict[str, Any]) -> Reply:
    return Reply("ask_again", {"prompt": _PROMPTS[ctx.extra["state"]]})


async def confirm_with_nothing(ctx: Context, draft: dict[str, Any]) -> Reply:
    return Reply("nothing_pending")


# ---- the table ----------------------------------------------------------------------------------

FLOW: dict[str, dict[str, Step]] = {
    IDLE: {TEXT: start_report, MEDIA: start_with_media, LOCATION: start_with_location,
           SKIP: confirm_with_nothing, CONFIRM_WORD: confirm_with_nothing},
    CONTENT: {TEXT: take_content, MEDIA: media_noted, LOCATION: take_location,
              SKIP: ask_again, CONFIRM_WORD: ask_again},
    PLACE: {TEXT: take_address, LOCATION: take_location, SKIP: skip_place,
            MEDIA: media_noted, CONFIRM_WORD: ask_again},
    PHONE: {TEXT: take_phone, SKIP: skip_phone, LOCATION: take_location,
            MEDIA: media_noted, CONFIRM_WORD: ask_again},
    CONFIRM: {CONFIRM_WORD: confirm, MEDIA: media_noted, LOCATION: take_location,
              TEXT: ask_again, SKIP: ask_again},
}


async def cancel(ctx: Context) -> Reply:
    """Fallback 取消: drop the draft and the media sent for it; no case is created."""
    conv = await conversation.load(ctx)
    if conv.state not in FLOW_STATES:
        return Reply("nothing_to_cancel")
    for attachment in await draft_attachments(ctx.session, ctx.openid, (conv.data or {}).get("attachments", [])):
        media.discard_after_commit(ctx.session, ctx.rt, attachment.stored_path)
        await ctx.session.delete(attachment)
    await conversation.reset(ctx)
    return Reply("cancelled")


async def help_now(ctx: Context) -> Reply:
    """Fallback 帮助: what the citizen can do at this point."""
    state = ctx.extra.get("state", IDLE)
    if state in FLOW_STATES:
        return Reply("help_in_flow", {"prompt": _PROMPTS[state]})
    return Reply("help")


FALLBACKS: dict[str, Callable[[Context], Awaitable[Reply]]] = {"取消": cancel, "帮助": help_now}


async def handle(ctx: Context) -> Reply:
    """Run one message through the table: attach media first, then the step for (state, input)."""
    conv = await conversation.load(ctx)
    state = conv.state if conv.state in FLOW else IDLE
    ctx.extra["state"] = state
    draft = dict(conv.data or {}) if state != IDLE else {}
    if ctx.msg_type in ("image", "voice", "video", "shortvideo"):
        if await intake_limits.draft_attachments_full(ctx.session, ctx.rt, ctx.openid):
            return Reply("draft_attachments_full", {"limit": str(ctx.rt.settings.max_draft_attachments)})
        attachment = await _attach(ctx)
        draft["attachments"] = [*draft.get("attachments", []), attachment.id]
    step = FLOW[state][_classify(ctx)]
    return await step(ctx, draft)


async def _attach(ctx: Context) -> Attachment:
    return await media.attach_message_media(ctx.session, ctx.rt, ctx.openid, ctx.msg_type, ctx.fields)


# ---- drafts left unfinished ---------------------------------------------------------------------

async def remind_stale_drafts(session: AsyncSession, rt: Runtime) -> int:
    """Remind (once per draft) citizens whose report has waited 30 minutes; the draft is kept."""
    cutoff = rt.now() - DRAFT_REMINDER_AFTER
    stmt = select(Conversation).where(Conversation.state.in_(FLOW_STATES), Conversation.updated_at <= cutoff)
    reminded = 0
    for conv in await session.scalars(stmt):
        data = dict(conv.data or {})
        if data.get("reminded"):
            continue
        follower = await session.get(Follower, conv.openid)
        if follower is not None and not follower.subscribed:
            continue
        title = _short(data.get("content") or "（图片/位置）", 20)
        text = DRAFT_REMINDER.format(title=title, prompt=_PROMPTS[conv.state])
        key = f"draft_reminder:{conv.openid}:{data.get('started_at') or conv.updated_at.isoformat()}"
        if await notify(session, rt, openid=conv.openid, kind="draft_reminder", text=text, dedupe_key=key,
                        fields={"title": title}):
            reminded += 1
        # Reassign, not mutate, so the JSON change is saved; updated_at stays (the citizen did nothing).
        conv.data = {**data, "reminded": True}
    return reminded


# ---- helpers ------------------------------------------------------------------------------------

def _location(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    lat, lng = _float(f.get("Location_X")), _float(f.get("Location_Y"))
    label = (f.get("Label") or "").strip()
    text = label or (f"{lat:.5f},{lng:.5f}" if lat is not None and lng is not None else "位置")
    return {"latitude": lat, "longitude": lng, "location_text": text[:MAX_PLACE]}


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _decision(data: dict[str, Any]) -> Decision:
    return Decision(category=data["category"], group=data["group"], department=data["department"],
                    score=float(data["score"]), keywords=tuple((k, float(w)) for k, w in data["keywords"]),
                    urgent=tuple(data["urgent"]), kind=data["kind"], deadlines=dict(data.get("deadlines") or {}))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
