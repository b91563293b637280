"""What a citizen can see and add to: their own cases (查询), one case's public timeline
(查询 <编号>), and supplementary material (补充 <编号>) passed on to whoever handles the case.

A citizen only ever sees their own cases; asking for someone else's number gets the same answer
as a number that does not exist. Staff appear in the timeline as role + department, never by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dispatch import Context
from bot.outbox import notify_people
from bot.runtime import Runtime
from bot.services import conversation, media
from bot.services.cases import STATUS_LABELS, Actor, record
from bot.services.reporting import FLOW_STATES, Reply
from storage.models import Attachment, Case, Department, Person
from storage.repositories.cases import (
    active_people,
    citizen_case,
    citizen_cases,
    people_by_ids,
    public_events,
)

SUPPLEMENT = "report_supplement"
DONE_WORDS = frozenset({"完成", "结束", "好了", "没有了", "取消"})
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
                              case.status == "resolved" and case.satisfaction is None))
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
                    due.astimezone(rt.tz).date() if due else None, entries)


# ---- 补充 ---------------------------------------------------------------------------------------

async def start_supplement(ctx: Context, arg: str | None, rest: str) -> Reply:
    """``补充 <编号> [内容]``: with content it is added at once, otherwise we wait for it."""
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
        return Reply("supplement_added", {"number": case.number})
    await conversation.set_state(ctx, SUPPLEMENT, {"case_id": case.id, "number": case.number})
    return Reply("supplement_waiting", {"number": case.number})


async def continue_supplement(ctx: Context) -> Reply:
    """A message while in the supplement state: text ends it, photos keep coming until 完成."""
    conv = await conversation.load(ctx)
    data = dict(conv.data or {})
    case = await ctx.session.get(Case, data.get("case_id") or 0)
    if case is None or case.citizen_openid != ctx.openid:
        await conversation.reset(ctx)
        return Reply("help")
    if ctx.msg_type in ("text", "voice") and ctx.text in DONE_WORDS:
        await conversation.reset(ctx)
        return Reply("supplement_done", {"number": case.number})
    if ctx.msg_type in ("image", "voice", "video", "shortvideo"):
        attachment = await media.attach_message_media(ctx.session, ctx.rt, ctx.openid, ctx.msg_type, ctx.fields)
        kind = attachment.kind
        await add_material(ctx.session, ctx.rt, case, ctx.openid, attachment=attachment)
        if kind != "voice" or not ctx.text:
            return Reply("supplement_media_added", {"number": case.number})
        await conversation.reset(ctx)
        return Reply("supplement_added", {"number": case.number})
    if ctx.msg_type in ("text",) and ctx.text:
        await add_material(ctx.session, ctx.rt, case, ctx.openid, text=ctx.text)
        await conversation.reset(ctx)
        return Reply("supplement_added", {"number": case.number})
    return Reply("supplement_waiting", {"number": case.number})


async def add_material(
    session: AsyncSession, rt: Runtime, case: Case, openid: str, *, text: str | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Log the material on the case and tell the owner and the assignee department's staff."""
    if attachment is not None:
        attachment.case_id = case.id
        text = attachment.recognition or text
        what = {"image": "图片", "voice": "语音", "video": "视频"}.get(attachment.kind, "附件")
        what = f"{what}（{text}）" if text else what
    else:
        text = (text or "")[:MAX_SUPPLEMENT]
        what = text[:200]
    event = await record(session, rt, case, action="supplement", actor=Actor.citizen(openid), text=text,
                         data={"attachment_id": attachment.id if attachment else None})
    recipients: dict[int, Person] = {}
    for person_id in (case.owner_id, case.leader_id):
        person = await session.get(Person, person_id) if person_id else None
        if person is not None:
            recipients[person.id] = person
    if case.department_id:
        for person in await active_people(session, roles=("staff",), department_id=case.department_id):
            recipients.setdefault(person.id, person)
    notice = SUPPLEMENT_NOTICE.format(number=case.number, title=case.title, what=what)
    await notify_people(session, rt, recipients.values(), kind="supplement", text=notice, case_id=case.id, case=case,
                        dedupe_key=f"supplement:{event.id}")
