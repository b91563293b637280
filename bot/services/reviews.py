"""The review chain (§2): 申请复查, then 申请复核, then 不再受理 on the same facts.

A 复查 (review) or 复核 (re-review) is a case of its own, linked to the case it reviews
(``review_of_id``) and answered by the reviewing body: the department configured for the reviewed
case's department (``settings.review_departments``), else ``settings.review_department``, else the
rules file's supervision department (the 信访 office's 督查室). Its staff and leaders work it with
the ordinary commands (待办, 详情, 回复, 办结); it is filed as accepted, because a request made in
time must be answered — within ``REVIEW_DAYS`` of its receipt.

The window to ask runs from the delivery of the decision's notice (处理意见 or 不予受理告知) as the
outbox recorded it: ``REVIEW_REQUEST_DAYS`` days, to the end of that local day. A request
on a case the citizen does not have, one never decided, a second request at the same level, or one
out of time changes nothing and says why. After a 复核 opinion, the same request on the same facts
is not accepted again (信访工作条例 第三十五条), and the bot says so with the reason and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import REVIEW_DAYS, REVIEW_REQUEST_WINDOW_DAYS
from bot.outbox import notify_people
from bot.runtime import Runtime
from bot.services.calendar import Calendar
from bot.services.cases import Actor, file_case, record
from nlp import Decision, similarity
from storage.models import Case, OutboxMessage, Person
from storage.repositories.cases import active_people
from storage.repositories.departments import department_named

REVIEW, RECHECK = 1, 2
LEVEL_NAMES = {REVIEW: "复查", RECHECK: "复核"}
REVIEW_REQUEST_DAYS = REVIEW_REQUEST_WINDOW_DAYS
DECISION_NOTICES = ("result_notice", "decline_notice")
DECIDED_STATUSES = ("declined", "resolved", "closed")
# Similar enough to be "the same facts" as a case whose 复核 has been answered.
SAME_FACTS_SIMILARITY = 0.5
LEGAL_BASIS = ("《信访工作条例》第三十五条：信访人对复核意见不服，仍以同一事实和理由提出投诉请求的，"
               "各级人民代表大会常务委员会和其他国家机关不再受理。")

CITIZEN_REVIEW_RESULT = ("您申请{level}的事项（{number}，原事项 {original}）已有{level}意见：{result}\n"
                         "如对{level}意见不服，可在收到之日起{days}日内发送“申请复核 {number}”。")
CITIZEN_RECHECK_RESULT = ("您申请复核的事项（{number}，原事项 {original}）已有复核意见：{result}\n"
                          "复核意见为最终意见。" + LEGAL_BASIS)
STAFF_NEW_REVIEW = ("【{level}申请】{number}：群众对 {original}（{title}，{dept}）的处理意见申请{level}，"
                    "请于{due}前提出{level}意见。发送“详情 {number}”查看，“办结 {number} {level}意见”答复。")
OWNER_REVIEW_NOTICE = "【{level}申请】群众对 {original}（{title}）的处理意见申请{level}，{level}编号 {number}，由{body}办理。"


@dataclass
class ReviewOutcome:
    ok: bool
    # On failure: not_found, not_decided, already, late, final, needs_review, use_recheck
    reason: str = ""
    review: Case | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _fail(reason: str, **detail: Any) -> ReviewOutcome:
    return ReviewOutcome(False, reason, None, detail)


def _day(rt: Runtime, when: datetime) -> str:
    local = when.astimezone(rt.tz)
    return f"{local.year}年{local.month}月{local.day}日"


async def _citizen_case(session: AsyncSession, openid: str, number: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.number == number.upper(), Case.citizen_openid == openid))


async def _reviews_of(session: AsyncSession, case_id: int) -> list[Case]:
    return list(await session.scalars(select(Case).where(Case.review_of_id == case_id).order_by(Case.id)))


async def decision_delivered_at(session: AsyncSession, case: Case) -> datetime | None:
    """When the decision's notice reached the citizen, as the outbox recorded it (None: not yet)."""
    row = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.kind.in_(DECISION_NOTICES),
                                    OutboxMessage.status == "sent")
        .order_by(OutboxMessage.id.desc()).limit(1))
    if row is None:
        return None
    return row.delivered_at or row.sent_at


def window_end(rt: Runtime, delivered: datetime) -> datetime:
    """The last moment to ask: the end of the local day ``REVIEW_REQUEST_DAYS`` after delivery."""
    last_day = delivered.astimezone(rt.tz).date() + timedelta(days=REVIEW_REQUEST_DAYS)
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=rt.tz)


async def reviewing_department(session: AsyncSession, rt: Runtime, case: Case) -> str:
    configured = rt.settings.review_departments.get(case.department.name) if case.department else None
    if configured:
        return configured
    if rt.settings.review_department:
        return rt.settings.review_department
    rules = getattr(rt.categoriser, "rules", None)
    return str(getattr(rules, "supervision_department", "") or "督查室")


async def request(session: AsyncSession, rt: Runtime, openid: str, number: str, level: int,
                  reason: str = "") -> ReviewOutcome:
    """``申请复查`` (level 1) or ``申请复核`` (level 2) of ``number`` by the citizen ``openid``."""
    target = await _citizen_case(session, openid, number)
    if target is None:
        return _fail("not_found", number=number.upper())
    subject = await _subject(session, target, level)
    if isinstance(subject, ReviewOutcome):
        return subject
    if subject.review_level == RECHECK and subject.review_of_id is not None:
        return _fail("final", number=subject.number, basis=LEGAL_BASIS)
    if subject.status not in DECIDED_STATUSES:
        return _fail("not_decided", number=subject.number)
    existing = await _reviews_of(session, subject.id)
    if any(r.review_level == level for r in existing):
        done = next(r for r in existing if r.review_level == level)
        return _fail("already", number=subject.number, review=done.number, level=LEVEL_NAMES[level])
    delivered = await decision_delivered_at(session, subject)
    if delivered is not None:
        end = window_end(rt, delivered)
        if rt.now() > end:
            return _fail("late", number=subject.number, level=LEVEL_NAMES[level], delivered=_day(rt, delivered),
                         ended=_day(rt, end), days=REVIEW_REQUEST_DAYS)
    return ReviewOutcome(True, "", await _open(session, rt, subject, level, openid, reason))


async def _subject(session: AsyncSession, target: Case, level: int) -> Case | ReviewOutcome:
    """The case whose decision is reviewed: the original for 复查, its 复查 for 复核."""
    if level == REVIEW:
        if target.review_of_id is not None:
            if target.review_level == REVIEW:
                return _fail("use_recheck", number=target.number)
            return _fail("final", number=target.number, basis=LEGAL_BASIS)
        rechecks = [r for r in await _reviews_of(session, target.id) if r.review_level == REVIEW]
        if rechecks and any(r.review_level == RECHECK for r in await _reviews_of(session, rechecks[0].id)):
            return _fail("final", number=target.number, basis=LEGAL_BASIS)
        return target
    if target.review_of_id is not None:
        return target
    reviews = [r for r in await _reviews_of(session, target.id) if r.review_level == REVIEW]
    if not reviews:
        return _fail("needs_review", number=target.number)
    return reviews[0]


async def _open(session: AsyncSession, rt: Runtime, subject: Case, level: int, openid: str, reason: str) -> Case:
    name = LEVEL_NAMES[level]
    body = await reviewing_department(session, rt, subject)
    await department_named(session, body)
    content = f"对 {subject.number}（{subject.title}）的处理意见申请{name}。"
    if reason.strip():
        content += f"\n理由：{reason.strip()}"
    decision = Decision(category=subject.category, group=subject.category_group, department=body, score=1.0,
                        keywords=(), urgent=(), kind=subject.kind, deadlines={})
    review = await file_case(session, rt, content=content, decision=decision, actor=Actor.citizen(openid),
                             openid=openid, source=subject.source if subject.source in ("wechat",) else "wechat",
                             phone=subject.phone, citizen_name=subject.citizen_name, department_name=body)
    now = rt.now()
    review.review_of_id = subject.id
    review.review_level = level
    review.repeat_of_id = subject.id
    review.accepted_at = now
    review.ack_due_at = None
    review.resolve_due_at = Calendar.from_settings(rt.settings).add_days(now, REVIEW_DAYS)
    await record(session, rt, review, action="accept", actor=Actor.system(), transition=True,
                 text=f"{name}申请在期限内提出，依法受理", data={"review_of": subject.number, "level": level})
    if subject.review_of_id is None:  # on the original: the furthest review asked for
        subject.review_level = max(subject.review_level or 0, level)
    await record(session, rt, subject, action="review_request", actor=Actor.citizen(openid),
                 text=f"申请{name}（{review.number}）" + (f"：{reason.strip()}" if reason.strip() else ""),
                 data={"review": review.number, "level": level})
    await session.flush()
    await session.refresh(review, ["department", "owner", "leader"])
    due = _day(rt, review.resolve_due_at)
    staff = await active_people(session, roles=("staff", "leader", "supervisor"), department_id=review.department_id)
    await notify_people(session, rt, staff, kind="new_case", case_id=review.id, dedupe_key=f"review:c{review.id}",
                        text=STAFF_NEW_REVIEW.format(level=name, number=review.number, original=subject.number,
                                                     title=subject.title, dept=_dept_name(subject), due=due),
                        fields={"number": review.number, "due": due})
    owners = [p for p in (subject.owner, subject.leader) if isinstance(p, Person)]
    await notify_people(session, rt, owners, kind="staff_update", case_id=subject.id,
                        text=OWNER_REVIEW_NOTICE.format(level=name, original=subject.number, title=subject.title,
                                                        number=review.number, body=body),
                        fields={"number": subject.number})
    return review


def _dept_name(case: Case) -> str:
    return case.department.name if case.department else "—"


def result_notice(case: Case, result: str, original: str | None) -> str | None:
    """The citizen's 处理意见 text for a review case, or None for an ordinary case."""
    if case.review_of_id is None:
        return None
    if case.review_level == RECHECK:
        return CITIZEN_RECHECK_RESULT.format(number=case.number, original=original or "", result=result)
    return CITIZEN_REVIEW_RESULT.format(level=LEVEL_NAMES[REVIEW], number=case.number, original=original or "",
                                        result=result, days=REVIEW_REQUEST_DAYS)


async def original_number(session: AsyncSession, case: Case) -> str | None:
    """The first case of ``case``'s review chain."""
    seen = 0
    current = case
    while current.review_of_id is not None and seen < 5:
        parent = await session.get(Case, current.review_of_id)
        if parent is None:
            break
        current = parent
        seen += 1
    return current.number if current is not case else None


async def finally_decided(session: AsyncSession, openid: str, text: str) -> Case | None:
    """A case of this citizen whose 复核 has been answered and whose facts ``text`` repeats: a new
    request on it is not accepted again. Returns the answered 复核 case."""
    rechecks = list(await session.scalars(
        select(Case).where(Case.citizen_openid == openid, Case.review_level == RECHECK,
                           Case.review_of_id.is_not(None), or_(Case.status == "resolved", Case.status == "closed"))))
    for recheck in rechecks:
        chain = [recheck]
        current = recheck
        while current.review_of_id is not None and len(chain) < 5:
            parent = await session.get(Case, current.review_of_id)
            if parent is None:
                break
            chain.append(parent)
            current = parent
        original = chain[-1]
        if similarity(text, original.content) >= SAME_FACTS_SIMILARITY:
            return recheck
    return None
