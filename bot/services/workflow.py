"""The staff side of the case workflow: accept, decline, reply, transfer, extend, resolve, 包案, 督办…

Each action checks who may do it and whether the case allows it, then — in the caller's one
transaction — moves the case, appends its event through ``bot.services.cases.record`` and queues
every resulting message through ``bot.outbox``. What a person can get wrong (a closed case, a
second extension, a missing reason) comes back as an ``Outcome`` with a reason key for the handler
to word; only bugs raise.

首问责任制: the first person to accept a case becomes its owner and keeps getting its updates after
it moves to another department. A leader who takes charge (包案) gets every update too, and must
confirm (确认办结) before the case can be resolved.

Message texts to citizens and colleagues live here rather than in ``handlers/texts`` because the
scheduler and the citizen flows send them as well, and services never import handlers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import case_policy as policy
from bot.case_policy import (
    DEADLINE_NUMBERS,
    MAX_COMMITTED_DAYS,
    MAX_EXTENSION_DAYS,
    MAX_SUPERVISION_DAYS,
    PING_PONG_AFTER,
    RESOLVE_DAYS,
    REVIEW_DAYS,
    SUPERVISE_ROLES,
    status_label,
)
from bot.outbox import notify, notify_people, notify_person
from bot.runtime import Runtime
from bot.services import people as people_service
from bot.services.calendar import Calendar
from bot.services.cases import Actor, can, record
from bot.services.intake import SOURCE_WORD_OF, Intake, take_in
from bot.services.rating_request import request_rating
from storage.models import Case, CaseEvent, Person
from storage.repositories.departments import department_named

log = logging.getLogger(__name__)

# Sources staff register on a citizen's behalf (登记 来访|来信|来电): the intake's source words.
WALK_IN_SOURCES = SOURCE_WORD_OF

# ---- messages ------------------------------------------------------------------------------------

CITIZEN_ACCEPTED = ("您反映的事项（{number}）已受理，承办单位：{dept}，办理期限至{due}。"
                    "发送“查询 {number}”可查看进度。")
CITIZEN_DECLINED = ("您反映的事项（{number}）不予受理。理由：{reason}\n"
                    "如对该决定不服，可在收到本告知之日起{review_request_days}日内发送“申请复查 {number}”，请求上一级机关复查。")
CITIZEN_REPLY = "关于您反映的事项（{number}），{dept}回复：{text}"
CITIZEN_TRANSFERRED = "您反映的事项（{number}）已转交{dept}办理，办理进度可发送“查询 {number}”查看。"
CITIZEN_EXTENDED = "您反映的事项（{number}）因{reason}，办理期限延长{days}天，至{due}。"
CITIZEN_RESULT = ("您反映的事项（{number}）已办结。处理意见：{result}\n"
                  "如对处理意见不服，可在收到之日起{review_request_days}日内发送“申请复查 {number}”。")
CITIZEN_REOPENED = "您反映的事项（{number}）已重新办理，我们会尽快给您答复。"

STAFF_ACCEPTED = "【受理】{number} {title} 已由{who}受理，期限至{due}。"
STAFF_DECLINED = "【不予受理】{number} {title}：{reason}"
STAFF_REPLIED = "【回复】{number} {title}：{text}"
STAFF_TRANSFER_OUT = "【转办】{number} {title} 已由{who}转至{dept}。理由：{reason}"
STAFF_TRANSFER_IN = "【转办】{number} {title} 转至贵单位办理（自{from_dept}），理由：{reason}。发送“详情 {number}”查看。"
STAFF_EXTENDED = "【延期】{number} {title} 延期{days}天至{due}。理由：{reason}"
STAFF_RESOLVED = "【办结】{number} {title}：{result}"
STAFF_CONFIRM_NEEDED = "【待确认办结】{number} {title}：{who}申请办结，结果：{result}。请发送“确认办结 {number}”。"
STAFF_CONFIRMED = "【已确认办结】{number} {title}：包案领导已确认，可发送“办结 {number} 结果”办结。"
STAFF_RECATEGORISED = "【改分类】{number} {title}：{old} → {new}"
STAFF_TAKEN = "【包案】{number} {title} 由{who}包案，办理情况请及时报告。"
STAFF_SUPERVISED = "【督办】{number} {title}：{opinion}{due_text}"
STAFF_REOPENED = "【重新办理】{number} {title} 已重新办理。原因：{reason}"
SUPERVISOR_PING_PONG = ("【退单裁定】{number} {title} 已在{depts}之间转办{count}次，{who}又申请转至{dept}（理由：{reason}）。"
                        "请裁定承办单位：发送“转办 {number} 部门 理由”。")


@dataclass
class Outcome:
    ok: bool
    # On failure, a key the handler words: "forbidden", "status", "not_leader", "needs_confirm", …
    reason: str = ""
    case: Case | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _fail(reason: str, case: Case | None = None, **detail: Any) -> Outcome:
    return Outcome(False, reason, case, detail)


def _ok(case: Case | None, **detail: Any) -> Outcome:
    return Outcome(True, "", case, detail)


def _calendar(rt: Runtime) -> Calendar:
    return Calendar.from_settings(rt.settings)


def fmt_date(rt: Runtime, when: Any) -> str:
    return when.astimezone(rt.tz).strftime("%Y年%m月%d日") if when else "—"


def who(person: Person) -> str:
    """How colleagues see an actor: department and title or role, then the name."""
    dept = person.department.name if person.department else ""
    title = person.title or {"staff": "工作人员", "leader": "领导", "supervisor": "督查室"}.get(person.role, "")
    return f"{dept}{title}{person.name}"


def _staff_allowed(person: Person | None, case: Case | None = None) -> bool:
    return policy.may_act_on(person, case)


def _base(case: Case) -> dict[str, Any]:
    return {"number": case.number, "title": case.title}


async def _citizen(session: AsyncSession, rt: Runtime, case: Case, kind: str, text: str,
                   **fields: Any) -> None:
    if not case.citizen_openid:
        return  # walk-in or letter without an openid: staff pass it on by phone or post
    data = {"number": case.number, "status": status_label(case.status),
            "content": text[:200], **{k: str(v) for k, v in fields.items()}}
    await notify(session, rt, openid=case.citizen_openid, kind=kind, text=text, case_id=case.id, fields=data)


async def _colleagues(session: AsyncSession, rt: Runtime, case: Case, kind: str, text: str, *,
                      actor: Person | None, extra: list[Person] | None = None) -> None:
    """The owner (首问), the leader in charge (包案) and ``extra``, except the one who acted."""
    recipients: dict[int, Person] = {}
    for person in [case.owner, case.leader, *(extra or [])]:
        if person is not None and person.openid and person.active:
            recipients.setdefault(person.id, person)
    if actor is not None:
        recipients.pop(actor.id, None)
    await notify_people(session, rt, recipients.values(), kind=kind, text=text, case_id=case.id, case=case,
                        fields={"number": case.number, "content": text[:200]})


async def _refresh_people(session: AsyncSession, case: Case) -> None:
    # owner/leader relationships are joined-loaded; after assigning ids they must follow them.
    await session.flush()
    await session.refresh(case, ["owner", "leader", "department"])


# ---- actions -------------------------------------------------------------------------------------

async def accept(session: AsyncSession, rt: Runtime, case: Case, person: Person,
                 days: int | None = None) -> Outcome:
    """受理; the first accepter becomes the owner; ``days`` is a committed (shorter) deadline."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if not can(case, "accept"):
        return _fail("status", case, status=case.status)
    if days is not None and not 1 <= days <= MAX_COMMITTED_DAYS:
        return _fail("bad_days", case, max=MAX_COMMITTED_DAYS)
    now = rt.now()
    case.accepted_at = now
    case.committed_days = days
    case.resolve_due_at = _calendar(rt).add_days(now, days or RESOLVE_DAYS)
    if case.owner_id is None:
        case.owner_id = person.id
    await record(session, rt, case, action="accept", actor=Actor.of(person), transition=True,
                 data={"committed_days": days, "resolve_due_at": case.resolve_due_at.isoformat()})
    await _refresh_people(session, case)
    due = fmt_date(rt, case.resolve_due_at)
    await _citizen(session, rt, case, "accept_notice",
                   CITIZEN_ACCEPTED.format(number=case.number, dept=case.department.name, due=due), due=due)
    await _colleagues(session, rt, case, "staff_update",
                      STAFF_ACCEPTED.format(**_base(case), who=who(person), due=due), actor=person)
    return _ok(case, due=due)


async def decline(session: AsyncSession, rt: Runtime, case: Case, person: Person, reason: str, *,
                  notice: str | None = None, data: dict[str, Any] | None = None) -> Outcome:
    """不予受理 with the reason; the citizen is told how to ask for review (复查), or gets
    ``notice`` instead (诉访分离 names the competent body and its time limit)."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if not reason.strip():
        return _fail("reason_required", case)
    if not can(case, "decline"):
        return _fail("status", case, status=case.status)
    case.decline_reason = reason
    # The 申请复查 window runs from the notice. Recorded for the review chain; nothing reads it yet.
    case.review_due_at = _calendar(rt).add_days(rt.now(), REVIEW_DAYS)
    await record(session, rt, case, action="decline", actor=Actor.of(person), text=reason, transition=True,
                 data=data)
    await _refresh_people(session, case)
    text = notice or CITIZEN_DECLINED.format(number=case.number, reason=reason, **DEADLINE_NUMBERS)
    await _citizen(session, rt, case, "decline_notice", text, reason=reason)
    await _colleagues(session, rt, case, "staff_update",
                      STAFF_DECLINED.format(**_base(case), reason=reason), actor=person)
    return _ok(case, has_citizen=bool(case.citizen_openid), notice=text)


async def reply(session: AsyncSession, rt: Runtime, case: Case, person: Person, text: str) -> Outcome:
    """A message to the citizen, logged on the case; the first reply starts the work (办理中)."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if not text.strip():
        return _fail("text_required", case)
    if case.status in policy.FINISHED_STATUSES:
        return _fail("status", case, status=case.status)
    transition = can(case, "start")
    await record(session, rt, case, action="reply", actor=Actor.of(person), text=text)
    if transition:
        await record(session, rt, case, action="start", actor=Actor.of(person), transition=True, public=False)
    await _citizen(session, rt, case, "reply",
                   CITIZEN_REPLY.format(number=case.number, dept=case.department.name, text=text))
    await _colleagues(session, rt, case, "staff_update", STAFF_REPLIED.format(**_base(case), text=text),
                      actor=person)
    return _ok(case, has_citizen=bool(case.citizen_openid))


async def _past_departments(session: AsyncSession, case: Case) -> list[str]:
    rows = await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "transfer").order_by(CaseEvent.id))
    names: list[str] = []
    for event in rows:
        for key in ("from", "to"):
            name = (event.data or {}).get(key)
            if name and name not in names:
                names.append(name)
    return names


async def transfer(session: AsyncSession, rt: Runtime, case: Case, person: Person, department: str,
                   reason: str) -> Outcome:
    """转办 to another department with a reason; the owner stays. After two transfers, sending the
    case back to a department it already passed through goes to 督查室 to decide instead."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if not reason.strip():
        return _fail("reason_required", case)
    if not policy.is_open(case.status):
        return _fail("status", case, status=case.status)
    target = await department_named(session, department, create=False)
    if target is None:
        return _fail("unknown_department", case, department=department)
    if target.id == case.department_id:
        return _fail("same_department", case, department=target.name)
    old = case.department
    past = await _past_departments(session, case)
    if (person.role not in policy.SEE_ALL_ROLES and case.transfer_count >= PING_PONG_AFTER
            and target.name in past):
        await record(session, rt, case, action="transfer_disputed", actor=Actor.of(person), text=reason,
                     public=False, data={"from": old.name, "to": target.name, "transfers": case.transfer_count})
        text = SUPERVISOR_PING_PONG.format(**_base(case), depts="、".join(past), count=case.transfer_count,
                                           who=who(person), dept=target.name, reason=reason)
        for supervisor in await people_service.supervisors(session):
            await notify_person(session, rt, supervisor, kind="escalation", text=text, case_id=case.id, case=case,
                                fields={"number": case.number, "content": text[:200]})
        return _fail("ping_pong", case, department=target.name)
    case.department_id = target.id
    case.transfer_count = (case.transfer_count or 0) + 1
    await record(session, rt, case, action="transfer", actor=Actor.of(person), text=reason,
                 data={"from": old.name, "to": target.name, "count": case.transfer_count})
    await _refresh_people(session, case)
    await _citizen(session, rt, case, "transfer_notice",
                   CITIZEN_TRANSFERRED.format(number=case.number, dept=target.name))
    old_side = await people_service.people_of_department(session, old.id)
    new_side = await people_service.people_of_department(session, target.id)
    await _colleagues(session, rt, case, "staff_update",
                      STAFF_TRANSFER_OUT.format(**_base(case), who=who(person), dept=target.name, reason=reason),
                      actor=person, extra=old_side)
    for colleague in new_side:
        if colleague.id not in (person.id, case.owner_id, case.leader_id):
            await notify_person(session, rt, colleague, kind="staff_update", case_id=case.id, case=case,
                                text=STAFF_TRANSFER_IN.format(**_base(case), from_dept=old.name, reason=reason),
                                fields={"number": case.number})
    return _ok(case, department=target.name)


async def extend(session: AsyncSession, rt: Runtime, case: Case, person: Person, days: int,
                 reason: str) -> Outcome:
    """延期: once per case, at most 30 days, with a reason; the citizen gets the 延期告知."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if not reason.strip():
        return _fail("reason_required", case)
    if case.status not in policy.RESOLVE_CLOCK_STATUSES or case.resolve_due_at is None:
        return _fail("status", case, status=case.status)
    if case.extension_days:
        return _fail("already_extended", case, days=case.extension_days)
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        return _fail("bad_days", case, max=MAX_EXTENSION_DAYS)
    old_due = case.resolve_due_at
    case.resolve_due_at = _calendar(rt).add_days(old_due, days)
    case.extension_days = days
    case.extension_reason = reason
    await record(session, rt, case, action="extend", actor=Actor.of(person), text=reason,
                 data={"days": days, "old_due": old_due.isoformat(), "new_due": case.resolve_due_at.isoformat()})
    due = fmt_date(rt, case.resolve_due_at)
    await _citizen(session, rt, case, "extension_notice",
                   CITIZEN_EXTENDED.format(number=case.number, reason=reason, days=days, due=due), due=due)
    await _colleagues(session, rt, case, "staff_update",
                      STAFF_EXTENDED.format(**_base(case), days=days, due=due, reason=reason), actor=person)
    return _ok(case, due=due, days=days)


async def resolve(session: AsyncSession, rt: Runtime, case: Case, person: Person, result: str) -> Outcome:
    """办结 with the result; a 包案 case needs its leader's 确认办结 first (the leader's own 办结
    counts as confirmation). The citizen gets the 处理意见 and a rating request."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if not result.strip():
        return _fail("result_required", case)
    if not can(case, "resolve"):
        return _fail("status", case, status=case.status)
    if case.leader_id is not None and case.leader_confirmed_at is None:
        if person.id != case.leader_id:
            await record(session, rt, case, action="resolve_requested", actor=Actor.of(person), text=result,
                         public=False)
            await notify_person(session, rt, case.leader, kind="confirm_request", case_id=case.id, case=case,
                                text=STAFF_CONFIRM_NEEDED.format(**_base(case), who=who(person), result=result),
                                fields={"number": case.number, "content": result[:200]})
            return _fail("needs_confirm", case, leader=who(case.leader) if case.leader else "")
        case.leader_confirmed_at = rt.now()
    now = rt.now()
    case.result = result
    case.resolved_at = now
    case.review_due_at = _calendar(rt).add_days(now, REVIEW_DAYS)
    await record(session, rt, case, action="resolve", actor=Actor.of(person), text=result, transition=True)
    await _citizen(session, rt, case, "result_notice", CITIZEN_RESULT.format(number=case.number, result=result, **DEADLINE_NUMBERS),
                   result=result[:100])
    await _colleagues(session, rt, case, "staff_update", STAFF_RESOLVED.format(**_base(case), result=result),
                      actor=person)
    await request_rating(session, rt, case)
    return _ok(case)


async def confirm_resolve(session: AsyncSession, rt: Runtime, case: Case, person: Person) -> Outcome:
    """确认办结 by the leader in charge of a 包案 case."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if case.leader_id != person.id:
        return _fail("not_leader", case)
    if not can(case, "resolve"):
        return _fail("status", case, status=case.status)
    case.leader_confirmed_at = rt.now()
    await record(session, rt, case, action="confirm_resolve", actor=Actor.of(person), public=False)
    await _colleagues(session, rt, case, "staff_update", STAFF_CONFIRMED.format(**_base(case)), actor=person,
                      extra=await people_service.people_of_department(session, case.department_id, ("staff",)))
    return _ok(case)


def _category_group(rt: Runtime, category: str) -> str | None:
    rules = getattr(rt.categoriser, "rules", None)
    for cat in getattr(rules, "categories", []) or []:
        if cat.name == category:
            return str(cat.group)
    return None


def category_names(rt: Runtime) -> list[str]:
    rules = getattr(rt.categoriser, "rules", None)
    return [c.name for c in getattr(rules, "categories", []) or []]


async def recategorise(session: AsyncSession, rt: Runtime, case: Case, person: Person, category: str) -> Outcome:
    """分类: correct the category. The event keeps the text with old and new labels, which the
    rule-learning tools read as a labelled example."""
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    group = _category_group(rt, category)
    if group is None:
        return _fail("unknown_category", case, categories=category_names(rt))
    if category == case.category:
        return _fail("same_category", case)
    old = {"category": case.category, "group": case.category_group}
    case.category = category
    case.category_group = group
    await record(session, rt, case, action="recategorise", actor=Actor.of(person), public=False,
                 text=f"{old['category']} → {category}",
                 data={"old": old, "new": {"category": category, "group": group}, "content": case.content,
                       "keywords": case.keywords, "training": True})
    await _colleagues(session, rt, case, "staff_update",
                      STAFF_RECATEGORISED.format(**_base(case), old=old["category"], new=category), actor=person)
    return _ok(case, old=old["category"], group=group)


async def take_charge(session: AsyncSession, rt: Runtime, case: Case, person: Person) -> Outcome:
    """包案: a leader takes personal charge and gets every update on the case."""
    if person is None or person.role not in policy.TAKE_CHARGE_ROLES or not person.active:
        return _fail("forbidden", case)
    if not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if case.status in policy.FINISHED_STATUSES:
        return _fail("status", case, status=case.status)
    if case.leader_id == person.id:
        return _fail("already_yours", case)
    if case.leader_id is not None:
        return _fail("held_by_other", case, leader=who(case.leader) if case.leader else "")
    case.leader_id = person.id
    case.leader_confirmed_at = None
    await record(session, rt, case, action="take_charge", actor=Actor.of(person), public=False)
    await _refresh_people(session, case)
    await _colleagues(session, rt, case, "staff_update", STAFF_TAKEN.format(**_base(case), who=who(person)),
                      actor=person,
                      extra=await people_service.people_of_department(session, case.department_id, ("staff",)))
    return _ok(case)


async def supervise(session: AsyncSession, rt: Runtime, case: Case, person: Person, opinion: str,
                    days: int | None = None) -> Outcome:
    """督办: a supervision notice to the department, optionally with a new deadline."""
    if person is None or person.role not in SUPERVISE_ROLES or not _staff_allowed(person, case):
        return _fail("forbidden", case)
    if not opinion.strip():
        return _fail("reason_required", case)
    if not policy.is_open(case.status):
        return _fail("status", case, status=case.status)
    if days is not None and not 1 <= days <= MAX_SUPERVISION_DAYS:
        return _fail("bad_days", case, max=MAX_SUPERVISION_DAYS)
    data: dict[str, Any] = {"days": days}
    due_text = ""
    if days is not None:
        due = _calendar(rt).add_days(rt.now(), days)
        if case.status in policy.ACK_CLOCK_STATUSES:
            data["old_due"] = case.ack_due_at.isoformat() if case.ack_due_at else None
            case.ack_due_at = due
        else:
            data["old_due"] = case.resolve_due_at.isoformat() if case.resolve_due_at else None
            case.resolve_due_at = due
        data["new_due"] = due.isoformat()
        due_text = f"（请于{fmt_date(rt, due)}前办结）"
    await record(session, rt, case, action="supervise", actor=Actor.of(person), text=opinion, public=False,
                 data=data)
    await _colleagues(session, rt, case, "supervise_notice",
                      STAFF_SUPERVISED.format(**_base(case), opinion=opinion, due_text=due_text), actor=person,
                      extra=await people_service.people_of_department(session, case.department_id))
    return _ok(case, due_text=due_text)


async def reopen(session: AsyncSession, rt: Runtime, case: Case, *, actor: Actor, reason: str = "",
                 person: Person | None = None) -> Outcome:
    """Back to 办理中 after a 不满意 rating (actor: the citizen) or a supervisor's decision.

    The owner, the leader in charge and the department are told; the case gets a review deadline.
    """
    if actor.role != "citizen" and actor.role != "system":
        if person is None or person.role not in policy.REOPEN_ROLES or not person.active:
            return _fail("forbidden", case)
    if not can(case, "reopen"):
        return _fail("status", case, status=case.status)
    now = rt.now()
    case.reopened_count = (case.reopened_count or 0) + 1
    case.leader_confirmed_at = None
    case.resolve_due_at = _calendar(rt).add_days(now, REVIEW_DAYS)
    await record(session, rt, case, action="reopen", actor=actor, text=reason or None, transition=True,
                 data={"count": case.reopened_count, "resolve_due_at": case.resolve_due_at.isoformat()})
    await _refresh_people(session, case)
    text = STAFF_REOPENED.format(**_base(case), reason=reason or "—")
    await _colleagues(session, rt, case, "reopen_notice", text, actor=person,
                      extra=await people_service.people_of_department(session, case.department_id, ("staff",)))
    if actor.role != "citizen":
        await _citizen(session, rt, case, "reopen_notice", CITIZEN_REOPENED.format(number=case.number))
    return _ok(case)


async def register_walk_in(session: AsyncSession, rt: Runtime, person: Person, content: str, *,
                           name: str | None = None, phone: str | None = None, source: str = "reception",
                           received_on: date | None = None) -> Outcome:
    """登记: a visit, letter or call taken by staff (source ``reception``/``letter``/``phone``).

    谁接访、谁负责: the registering officer is the case's owner from the start. The case goes
    through the same intake as a citizen's own report (``bot.services.intake``): alarm words,
    repeat detection and the group-risk alert included. A letter's envelope date, when given,
    is the receipt date its deadline counts from.
    """
    if not _staff_allowed(person):
        return _fail("forbidden")
    if len(content.strip()) < 4:
        return _fail("text_required")
    if received_on is not None and received_on > rt.local_now().date():
        return _fail("future_date", date=received_on.isoformat())
    taken = await take_in(session, rt, Intake(
        content=content, source=source, actor=Actor.of(person), phone=phone, citizen_name=name,
        received_on=received_on, notify_department=False))
    case = taken.case
    case.owner_id = person.id
    await _refresh_people(session, case)
    others = [p for p in await people_service.people_of_department(session, case.department_id)
              if p.id != person.id]
    label = WALK_IN_SOURCES.get(source, source)
    await notify_people(session, rt, others, kind="staff_update", case_id=case.id, case=case,
                        text=f"【新登记】{case.number} {case.title}（{label}登记：{who(person)}）",
                        fields={"number": case.number})
    return _ok(case, department=case.department.name, due=fmt_date(rt, case.ack_due_at),
               alerted=taken.assessed.alerted, group_risk=taken.assessed.group_risk,
               triage=taken.decision.reason, separation=taken.decision.separation or "")
