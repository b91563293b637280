"""What a citizen can see and add to: their own cases (查询), one case's public timeline
(查询 <编号>), and supplementary material (补充 <编号>) passed on to whoever handles the case.

A citizen only ever sees their own cases; asking for someone else's number gets the same answer
as a number that does not exist. Staff appear in the timeline as role + department, never by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dispatch import Context
from bot.outbox import notify, notify_people
from bot.runtime import Runtime
from bot.services import conversation, media
from bot.services.cases import STATUS_LABELS, Actor, record
from bot.services.reporting import FLOW_STATES, Reply, typed_text
from storage.models import Attachment, Case, Conversation, Department, Person
from storage.repositories.cases import (
    active_people,
    citizen_case,
    citizen_cases,
    people_by_ids,
    public_events,
)

SUPPLEMENT = "report_supplement"
DONE_WORDS = ("完成", "结束", "好了", "没有了", "取消")
NUMBER_RE = re.compile(r"^XF\d{8}-\d{4,}$", re.IGNORECASE)
SUPPLEMENTABLE = ("registered", "accepted", "in_progress", "resolved")
MAX_SUPPLEMENT = 5000

SUPPLEMENT_NOTICE = "群众对 {number}（{title}）补充了材料：{what}\n发送“详情 {number}”查看。"


@dataclass(frozen=True)
class CaseLine:
    number: str
    title: str
    status: str  # label
    deadline_kind: str | None  # ack / resolve / review
    deadline: date | None
    awaiting_rating: bool
    overdue: bool = False


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime  # local time
    action: str
    actor_role: str
    actor_department: str | None
    text: str | None


@dataclass(frozen=True)
class CaseView:
    number: str
    title: str
    status: str
    category: str
    department: str
    deadline_kind: str | None
    deadline: date | None
    entries: list[TimelineEntry]
    overdue: bool = False


def parse_number(arg: str | None) -> str | None:
    if not arg:
        return None
    arg = arg.strip().upper()
    return arg if NUMBER_RE.match(arg) else None


def next_deadline(case: Case) -> tuple[str | None, datetime | None]:
    if case.status == "registered":
        return "ack", case.ack_due_at
    if case.status in ("accepted", "in_progress"):
        return ("review" if case.reopened_count else "resolve"), case.resolve_due_at
    return None, None


async def my_cases(session: AsyncSession, rt: Runtime, openid: str) -> list[CaseLine]:
    lines = []
    for case in await citizen_cases(session, openid):
        kind, due = next_deadline(case)
        lines.append(CaseLine(case.number, case.title, STATUS_LABELS.get(case.status, case.status), kind,
                              due.astimezone(rt.tz).date() if due else None,
                              case.status == "resolved" and case.satisfaction is None,
                              overdue=due is not None and due < rt.now()))
    return lines


async def case_view(session: AsyncSession, rt: Runtime, openid: str, number: str) -> CaseView | None:
    case = await citizen_case(session, openid, number)
    if case is None:
        return None
    events = await public_events(session, case.id)
    people = await people_by_ids(session, [e.actor_id for e in events if e.actor_id])
    dept_ids = {p.department_id for p in people.values() if p.department_id}
    departments = {d_id: (await session.get(Department, d_id)) for d_id in dept_ids}
    entries = []
    for e in events:
        person = people.get(e.actor_id) if e.actor_id else None
        dept = departments.get(person.department_id) if person and person.department_id else None
        # Citizen-visible text: staff messages and results; the citizen's own words are not repeated.
        text = e.text if e.actor_role != "citizen" or e.action in ("supplement", "rate") else None
        entries.append(TimelineEntry(e.at.astimezone(rt.tz), e.action, e.actor_role,
                                     dept.name if dept else None, text))
    kind, due = next_deadline(case)
    own_dept = await session.get(Department, case.department_id) if case.department_id else None
    return CaseView(case.number, case.title, STATUS_LABELS.get(case.status, case.status), case.category,
                    own_dept.name if own_dept else "待分办", kind,
                    due.astimezone(rt.tz).date() if due else None, entries,
                    overdue=due is not None and due < rt.now())


# ---- 补充 ---------------------------------------------------------------------------------------
#
# ``补充 <编号>`` opens a session: texts, photos and voice messages go to that case until ``完成`` (or
# ``取消``), another command, or ``SESSION_SILENCE`` without a message. Then the citizen gets one
# summary ("已补充 2 条文字、1 张图片") and the case's people one notice, not one per message. A
# photo sent after the session ended is not on the case: it starts a new report like any photo.

SESSION_SILENCE = timedelta(minutes=10)
KIND_UNITS = {"text": ("条文字", "text"), "image": ("张图片", "image"), "voice": ("条语音", "voice"),
              "video": ("段视频", "video")}
# The owner's one notice quotes the first few texts (whole, up to 200 characters each).
NOTICE_SNIPPETS = 5
SUMMARY_TEXT = "{number} 本次补充已结束：已补充{what}，已通知办理人员。发送“查询 {number}”查看进度。"
SUMMARY_EMPTY = "{number} 本次补充已结束，未收到新材料。"


def summary_of(counts: dict[str, int]) -> str:
    parts = [f"{counts[key]} {unit}" for key, (unit, _) in KIND_UNITS.items() if counts.get(key)]
    return "、".join(parts)


async def start_supplement(ctx: Context, arg: str | None, rest: str) -> Reply:
    """``补充 <编号> [内容]``: with content it is added at once, otherwise a session opens."""
    conv = await conversation.load(ctx)
    if conv.state in FLOW_STATES:
        return Reply("finish_report_first")
    number = parse_number(arg)
    if number is None:
        return Reply("supplement_usage")
    case = await citizen_case(ctx.session, ctx.openid, number)
    if case is None:
        return Reply("case_not_found", {"number": number})
    if case.status not in SUPPLEMENTABLE:
        return Reply("case_not_open", {"number": case.number, "status": STATUS_LABELS.get(case.status, case.status)})
    if rest.strip():
        await add_material(ctx.session, ctx.rt, case, ctx.openid, text=rest.strip())
        await _notify_case_people(ctx.session, ctx.rt, case, {"text": 1}, rest.strip()[:200])
        return Reply("supplement_added", {"number": case.number})
    await conversation.set_state(ctx, SUPPLEMENT, {"case_id": case.id, "number": case.number, "counts": {}})
    return Reply("supplement_waiting", {"number": case.number})


async def continue_supplement(ctx: Context) -> Reply:
    """A message during a session: material for the case, counted for the summary."""
    conv = await conversation.load(ctx)
    data = dict(conv.data or {})
    case = await ctx.session.get(Case, data.get("case_id") or 0)
    if case is None or case.citizen_openid != ctx.openid:
        await conversation.reset(ctx)
        return Reply("help")
    if case.status not in SUPPLEMENTABLE:
        await conversation.reset(ctx)
        return Reply("case_not_open", {"number": case.number, "status": STATUS_LABELS.get(case.status, case.status)})
    counts = dict(data.get("counts") or {})
    if ctx.msg_type in ("image", "voice", "video", "shortvideo"):
        attachment = await media.attach_message_media(ctx.session, ctx.rt, ctx.openid, ctx.msg_type, ctx.fields)
        await add_material(ctx.session, ctx.rt, case, ctx.openid, attachment=attachment)
        kind = attachment.kind
    elif ctx.msg_type == "text" and ctx.text:
        await add_material(ctx.session, ctx.rt, case, ctx.openid, text=typed_text(ctx))
        kind = "text"
    else:
        return Reply("supplement_waiting", {"number": case.number})
    counts[kind] = int(counts.get(kind, 0)) + 1
    snippets = list(data.get("texts") or [])
    said = typed_text(ctx) if ctx.msg_type == "text" else (ctx.fields.get("Recognition") or "")
    if said and len(snippets) < NOTICE_SNIPPETS:
        snippets.append(said[:200])
    await conversation.update_data(ctx, counts=counts, texts=snippets)
    return Reply("supplement_media_added", {"number": case.number, "what": summary_of(counts)})


async def finish_supplement(ctx: Context) -> Reply:
    """``完成`` / ``取消`` in a session: the summary as the reply, one notice to the case's people."""
    conv = await conversation.load(ctx)
    data = dict(conv.data or {})
    await conversation.reset(ctx)
    text = await close_session(ctx.session, ctx.rt, ctx.openid, data)
    return Reply("supplement_summary", {"text": text})


async def leave_supplement(ctx: Context) -> None:
    """Another command ends the session: the summary goes to the citizen as a message."""
    conv = await conversation.load(ctx)
    data = dict(conv.data or {})
    await conversation.reset(ctx)
    text = await close_session(ctx.session, ctx.rt, ctx.openid, data)
    if text:
        await notify(ctx.session, ctx.rt, openid=ctx.openid, kind="supplement_summary", text=text,
                     case_id=data.get("case_id"), fields={"number": data.get("number", "")})


async def close_session(session: AsyncSession, rt: Runtime, openid: str, data: dict) -> str:
    """The summary text of a session that ends now; the case's people get one notice."""
    case = await session.get(Case, data.get("case_id") or 0)
    if case is None or case.citizen_openid != openid:
        return ""
    counts = {k: int(v) for k, v in dict(data.get("counts") or {}).items()}
    what = summary_of(counts)
    if not what:
        return SUMMARY_EMPTY.format(number=case.number)
    snippets = [str(t) for t in data.get("texts") or []]
    await _notify_case_people(session, rt, case, counts, "\n".join(snippets) or None)
    return SUMMARY_TEXT.format(number=case.number, what=what)


async def close_silent_sessions(session: AsyncSession, rt: Runtime) -> int:
    """Sessions without a message for ``SESSION_SILENCE``: closed, the summary sent as a message."""
    cutoff = rt.now() - SESSION_SILENCE
    closed = 0
    for conv in await session.scalars(select(Conversation).where(Conversation.state == SUPPLEMENT,
                                                                 Conversation.updated_at <= cutoff)):
        data = dict(conv.data or {})
        conv.state = conversation.IDLE
        conv.data = {}
        conv.updated_at = rt.now()
        text = await close_session(session, rt, conv.openid, data)
        if text:
            await notify(session, rt, openid=conv.openid, kind="supplement_summary", text=text,
                         case_id=data.get("case_id"), fields={"number": data.get("number", "")})
        closed += 1
    return closed


async def add_material(
    session: AsyncSession, rt: Runtime, case: Case, openid: str, *, text: str | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Log the material on the case (the people handling it are told once, by the caller)."""
    if attachment is not None:
        attachment.case_id = case.id
        text = attachment.recognition or text
    else:
        text = (text or "")[:MAX_SUPPLEMENT]
    await record(session, rt, case, action="supplement", actor=Actor.citizen(openid), text=text,
                 data={"attachment_id": attachment.id if attachment else None,
                       "kind": attachment.kind if attachment else "text"})


async def _notify_case_people(session: AsyncSession, rt: Runtime, case: Case, counts: dict[str, int],
                              text: str | None) -> None:
    """The owner, the leader in charge and the department's staff: one notice per session."""
    recipients: dict[int, Person] = {}
    for person_id in (case.owner_id, case.leader_id):
        person = await session.get(Person, person_id) if person_id else None
        if person is not None:
            recipients[person.id] = person
    if case.department_id:
        for person in await active_people(session, roles=("staff",), department_id=case.department_id):
            recipients.setdefault(person.id, person)
    what = summary_of(counts) + (f"\n{text}" if text else "")
    notice = SUPPLEMENT_NOTICE.format(number=case.number, title=case.title, what=what)
    await notify_people(session, rt, recipients.values(), kind="supplement", text=notice, case_id=case.id)
