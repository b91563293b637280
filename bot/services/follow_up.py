"""回头看 answers (§5): the citizen answers the follow-up question in one tap.

The 回头看 job asks (``ASK_TEXT``) and marks the case ``follow_up_asked_at``. The citizen answers
``1 已解决`` or ``2 仍有问题 <说明>``; the answer is recorded on the case and in its event log.
"仍有问题" means the matter rebounded (反弹): within ``REOPEN_WITHIN`` of closing the case is
reopened; later a new case linked to it is opened (the old one stays closed as it was decided). Either
way the owner (首问) and the leader in charge (包案) are told. The figures — asked, answered,
resolved, rebounded and 反弹率 — are computed once, in ``figures``, for 统计 and the monthly report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import FOLLOW_UP_ANSWER_WINDOW, FOLLOW_UP_REOPEN_WITHIN
from bot.outbox import notify_people
from bot.runtime import Runtime
from bot.services import workflow
from bot.services.cases import Actor, file_case, record
from nlp import Decision
from storage.models import Case, Person

RESOLVED, REBOUND = "resolved", "rebound"
ANSWER_LABELS = {RESOLVED: "已解决", REBOUND: "仍有问题"}
# The numbers live in ``bot.case_policy``: a rebound this soon after closing reopens the case,
# later it is a new (linked) case; an unanswered question takes an answer for this long.
REOPEN_WITHIN = FOLLOW_UP_REOPEN_WITHIN
ANSWER_WINDOW = FOLLOW_UP_ANSWER_WINDOW

ASK_TEXT = (
    "【回头看】您反映的事项 {number}「{title}」已于{closed}结案。问题现在是否真正解决？\n"
    "请回复“1 已解决”，或回复“2 仍有问题 说明”（如：2 仍有问题 物业费仍按原标准收取）。"
)
REBOUND_NOTICE = "【回头看反弹】{number}「{title}」群众回复仍有问题：{note}\n{action}发送“详情 {target}”查看。"


@dataclass(frozen=True)
class Answer:
    case: Case
    answer: str
    reopened: bool = False
    new_case: Case | None = None


async def pending(session: AsyncSession, rt: Runtime, openid: str) -> Case | None:
    """The citizen's latest case asked 回头看 and not yet answered (within ``ANSWER_WINDOW``)."""
    return await session.scalar(
        select(Case).where(Case.citizen_openid == openid, Case.follow_up_asked_at.is_not(None),
                           Case.follow_up_answer.is_(None), Case.follow_up_asked_at >= rt.now() - ANSWER_WINDOW)
        .order_by(Case.follow_up_asked_at.desc(), Case.id.desc()).limit(1))


async def answer(session: AsyncSession, rt: Runtime, case: Case, openid: str, resolved: bool,
                 note: str = "") -> Answer:
    """Record the citizen's answer; a rebound reopens the case or opens a linked one."""
    now = rt.now()
    value = RESOLVED if resolved else REBOUND
    note = note.strip()
    case.follow_up_answer = value
    case.follow_up_answered_at = now
    await record(session, rt, case, action="follow_up_answer", actor=Actor.citizen(openid),
                 text=ANSWER_LABELS[value] + (f"：{note}" if note else ""), data={"answer": value})
    if resolved:
        return Answer(case, value)
    reason = f"回头看：群众回复仍有问题{('：' + note) if note else ''}"
    closed_at = case.closed_at or case.resolved_at or now
    if now - closed_at <= REOPEN_WITHIN and case.status in ("resolved", "closed"):
        outcome = await workflow.reopen(session, rt, case, actor=Actor.citizen(openid), reason=reason)
        if outcome.ok:
            await _tell(session, rt, case, case.number, note, "已重新办理。")
            return Answer(case, value, reopened=True)
    content = note or case.content
    decision = Decision(category=case.category, group=case.category_group, department=case.department.name,
                        score=case.score, keywords=(), urgent=(), kind=case.kind, deadlines={})
    new = await file_case(session, rt, content=f"（回头看反弹，原事项 {case.number}）{content}", decision=decision,
                          actor=Actor.citizen(openid), openid=openid, phone=case.phone,
                          citizen_name=case.citizen_name, department_name=case.department.name)
    new.repeat_of_id = case.id
    await _tell(session, rt, case, new.number, note, f"已另立新件 {new.number}。")
    return Answer(case, value, new_case=new)


async def _tell(session: AsyncSession, rt: Runtime, case: Case, target: str, note: str, action: str) -> None:
    people = [p for p in (case.owner, case.leader) if isinstance(p, Person)]
    await notify_people(session, rt, people, kind="follow_up_rebound", case_id=case.id,
                        dedupe_key=f"follow_up_rebound:c{case.id}",
                        text=REBOUND_NOTICE.format(number=case.number, title=case.title, note=note or "—",
                                                   action=action, target=target),
                        fields={"number": case.number})


@dataclass(frozen=True)
class FollowUpFigures:
    """回头看 in a period (by the day the question was asked)."""

    asked: int = 0
    answered: int = 0
    resolved: int = 0
    rebounded: int = 0

    @property
    def rebound_rate(self) -> float | None:
        """反弹率: rebounded over answered."""
        return self.rebounded / self.answered if self.answered else None


async def figures(session: AsyncSession, start: datetime, end: datetime) -> FollowUpFigures:
    rows = (await session.execute(
        select(Case.follow_up_answer, func.count()).where(Case.follow_up_asked_at >= start,
                                                          Case.follow_up_asked_at < end)
        .group_by(Case.follow_up_answer))).all()
    counts = {answer: int(n) for answer, n in rows}
    asked = sum(counts.values())
    return FollowUpFigures(asked=asked, answered=counts.get(RESOLVED, 0) + counts.get(REBOUND, 0),
                           resolved=counts.get(RESOLVED, 0), rebounded=counts.get(REBOUND, 0))
