"""A citizen's report before it is filed: its stages, the checks on its words, filing, reminders.

The conversation that fills the draft is ``handlers.flows.report``; this module holds what the
draft *is* (``ReportDraft``, stored as the conversation's data under one of the ``DraftStage``
state names) and what may be done with it, taking plain values: the text, the place, the phone,
attachment ids, the openid. ``file_report`` turns a confirmed draft into a case; ``discard`` drops
it with the media sent for it; ``remind_stale_drafts`` (a timed job) reminds the citizen once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import DRAFT_REMINDER_AFTER
from bot.conversation_data import ConversationData
from bot.outbox import notify
from bot.runtime import Runtime
from bot.services import media
from bot.services.cases import Actor
from bot.services.intake import Intake, take_in
from nlp import Decision, find_phones
from storage.models import Conversation, Follower
from storage.repositories.cases import draft_attachments
from storage.repositories.departments import department_named


class DraftStage(StrEnum):
    """Where a report draft stands; the values are the stored conversation state names."""

    CONTENT = "report_content"  # a photo / location came first: waiting for the description
    PLACE = "report_place"
    PHONE = "report_phone"
    CONFIRM = "report_confirm"


# What the citizen is asked at each stage (in replies, the 帮助 answer and the reminder).
PROMPTS = {DraftStage.CONTENT: "请发送文字或语音描述问题。",
           DraftStage.PLACE: "请发送问题发生的地点（位置或地址），或回复“跳过”。",
           DraftStage.PHONE: "请留下联系电话，或回复“跳过”。", DraftStage.CONFIRM: "请回复“确认”提交。"}

GREETINGS = frozenset({"你好", "您好", "在吗", "在不在", "有人吗", "hi", "hello", "哈喽", "嗨", "谢谢", "谢谢你"})
MIN_CJK = 4  # "路灯坏了" is the shortest report that says something
MAX_CONTENT = 10000
MAX_PLACE = 200
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LANDLINE = re.compile(r"^\+?[0-9][0-9\- ]{6,19}$")

DRAFT_REMINDER = ("您有一条未提交的反映：“{title}”。{prompt}\n"
                  "如不再需要，发送“取消”。")


@dataclass
class ReportDraft(ConversationData):
    """The report so far (the conversation's data while a ``DraftStage`` runs)."""

    content: str | None = None
    decision: dict[str, Any] | None = None  # nlp.Decision.as_dict() of the content
    started_at: str | None = None  # ISO time the draft began (the reminder's dedupe key)
    latitude: float | None = None
    longitude: float | None = None
    location_text: str | None = None
    phone: str | None = None
    attachments: list[int] = field(default_factory=list)
    reminded: bool = False

    @property
    def has_place(self) -> bool:
        return self.latitude is not None or bool(self.location_text)


@dataclass(frozen=True)
class Place:
    latitude: float | None
    longitude: float | None
    text: str


@dataclass(frozen=True)
class Filed:
    """A filed report, for the reply."""

    number: str
    department: str
    ack_due: str  # local date, worded
    repeat_of: str  # number of the earlier case it repeats, or ""
    attachments: int


# ---- checks on what the citizen sent -------------------------------------------------------------

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


def describe(rt: Runtime, draft: ReportDraft, text: str) -> tuple[ReportDraft, Decision, bool]:
    """The draft with ``text`` as its description and its routing decision; whether it was cut."""
    content = text[:MAX_CONTENT]
    decision = rt.categoriser.categorise(content)
    draft = dataclasses.replace(draft, content=content, decision=decision.as_dict(),
                                started_at=draft.started_at or rt.now().isoformat())
    return draft, decision, len(text) > MAX_CONTENT


def place(latitude: Any, longitude: Any, label: str | None) -> Place:
    """A shared location: its label, or the coordinates when it has none."""
    lat, lng = _float(latitude), _float(longitude)
    text = (label or "").strip() or (f"{lat:.5f},{lng:.5f}" if lat is not None and lng is not None else "位置")
    return Place(lat, lng, text[:MAX_PLACE])


def address(text: str) -> str:
    return text[:MAX_PLACE]


def phone_in(text: str) -> str | None:
    """A mobile number anywhere in ``text``, or ``text`` itself if it looks like a landline."""
    phones = find_phones(text)
    if phones:
        return phones[0]
    return text.replace(" ", "") if _LANDLINE.match(text) else None


def summary(draft: ReportDraft) -> dict[str, str]:
    """What the citizen confirms (values for the 请核对 reply)."""
    decision = draft.decision or {}
    return {"content": short(draft.content or "", 60), "category": decision.get("category", ""),
            "department": decision.get("department", ""), "place": draft.location_text or "未提供",
            "phone": draft.phone or "未提供", "attachments": str(len(draft.attachments))}


# ---- filing and discarding -------------------------------------------------------------------------

async def file_report(session: AsyncSession, rt: Runtime, openid: str, draft: ReportDraft) -> Filed:
    """File the confirmed draft as a case: attachments move onto it, risk is assessed, staff told."""
    assert draft.content is not None and draft.decision is not None
    attachments = await draft_attachments(session, openid, draft.attachments)
    await department_named(session, draft.decision["department"])
    taken = await take_in(session, rt, Intake(
        content=draft.content, source="wechat", actor=Actor.citizen(openid), openid=openid,
        location_text=draft.location_text, latitude=draft.latitude, longitude=draft.longitude,
        phone=draft.phone, attachments=attachments, decision=_decision(draft.decision)))
    case, assessed = taken.case, taken.assessed
    return Filed(case.number, draft.decision["department"],
                 case.ack_due_at.astimezone(rt.tz).strftime("%Y年%m月%d日") if case.ack_due_at else "",
                 assessed.repeat_of.number if assessed.repeat_of else "", len(attachments))


async def discard(session: AsyncSession, rt: Runtime, openid: str, draft: ReportDraft) -> None:
    """Drop a draft's media (rows now, stored files once the transaction commits); no case is created."""
    for attachment in await draft_attachments(session, openid, draft.attachments):
        media.discard_after_commit(session, rt, attachment.stored_path)
        await session.delete(attachment)


# ---- drafts left unfinished ---------------------------------------------------------------------

async def remind_stale_drafts(session: AsyncSession, rt: Runtime) -> int:
    """Remind (once per draft) citizens whose report has waited 30 minutes; the draft is kept."""
    cutoff = rt.now() - DRAFT_REMINDER_AFTER
    stmt = select(Conversation).where(Conversation.state.in_([str(s) for s in DraftStage]),
                                      Conversation.updated_at <= cutoff)
    reminded = 0
    for conv in await session.scalars(stmt):
        draft = ReportDraft.from_dict(conv.data)
        if draft.reminded:
            continue
        follower = await session.get(Follower, conv.openid)
        if follower is not None and not follower.subscribed:
            continue
        title = short(draft.content or "（图片/位置）", 20)
        text = DRAFT_REMINDER.format(title=title, prompt=PROMPTS[DraftStage(conv.state)])
        key = f"draft_reminder:{conv.openid}:{draft.started_at or conv.updated_at.isoformat()}"
        if await notify(session, rt, openid=conv.openid, kind="draft_reminder", text=text, dedupe_key=key,
                        fields={"title": title}):
            reminded += 1
        # Reassign, not mutate, so the JSON change is saved; updated_at stays (the citizen did nothing).
        conv.data = {**(conv.data or {}), "reminded": True}
    return reminded


# ---- helpers ------------------------------------------------------------------------------------

def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _decision(data: dict[str, Any]) -> Decision:
    return Decision(category=data["category"], group=data["group"], department=data["department"],
                    score=float(data["score"]), keywords=tuple((k, float(w)) for k, w in data["keywords"]),
                    urgent=tuple(data["urgent"]), kind=data["kind"], deadlines=dict(data.get("deadlines") or {}),
                    reason=data.get("reason") or "", alarm=data.get("alarm") or "",
                    separation=data.get("separation"))


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
