"""Satisfaction rating after a case is resolved: 1 满意, 2 基本满意, 3 不满意.

The request (``bot.services.rating_request``) goes out with the resolve action (办结). ``1`` and ``2``
close the case; ``3`` reopens it for review (复查) through ``bot.services.workflow.reopen`` (which
tells the owner 首问, the leader in charge and the department) and asks the citizen why; the reason
arrives later through ``add_reason`` and is passed on to the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import notify_people
from bot.runtime import Runtime
from bot.services import workflow
from bot.services.cases import Actor, can, record
from storage.models import Case, Person
from storage.repositories.cases import active_people

SCORES = {1: "满意", 2: "基本满意", 3: "不满意"}
UNSATISFIED = 3

# Outbound text to the people responsible for the case.
REASON_NOTICE = "群众对 {number} 不满意的理由：{reason}"


@dataclass(frozen=True)
class RatingOutcome:
    """What happened, for the handler to word the reply."""

    ok: bool
    case: Case
    score: int | None = None
    reopened: bool = False
    needs_reason: bool = False
    error: str | None = None  # not_yours / not_resolved / already_rated / bad_score


async def rate(
    session: AsyncSession, rt: Runtime, case: Case, score: int, reason: str | None, openid: str,
) -> RatingOutcome:
    """Record the citizen's rating; errors the citizen can cause come back as ``error``."""
    if case.citizen_openid != openid:
        return RatingOutcome(False, case, error="not_yours")
    if score not in SCORES:
        return RatingOutcome(False, case, error="bad_score")
    if not can(case, "close"):
        error = "already_rated" if case.satisfaction is not None else "not_resolved"
        return RatingOutcome(False, case, error=error)
    now = rt.now()
    actor = Actor.citizen(openid)
    reason = (reason or "").strip() or None
    case.satisfaction = score
    case.satisfaction_reason = reason
    case.rated_at = now
    await record(session, rt, case, action="rate", actor=actor, text=SCORES[score] + (f"：{reason}" if reason else ""),
                 data={"score": score, "reason": reason})
    if score != UNSATISFIED:
        case.closed_at = now
        await record(session, rt, case, action="close", actor=actor, transition=True, text="群众评价后结案")
        return RatingOutcome(True, case, score=score)

    # The staff workflow owns reopening: review deadline, owner / leader / department notices.
    reopened = await workflow.reopen(session, rt, case, actor=actor,
                                     reason=f"群众不满意：{reason}" if reason else "群众不满意")
    if not reopened.ok:  # cannot happen after the status check above; a bug if it does
        raise RuntimeError(f"reopen failed on {case.number}: {reopened.reason}")
    return RatingOutcome(True, case, score=score, reopened=True, needs_reason=reason is None)


async def add_reason(session: AsyncSession, rt: Runtime, case: Case, reason: str, openid: str) -> bool:
    """The citizen's reason for 不满意, sent after the rating; logged and passed to the owner."""
    reason = reason.strip()
    if case.citizen_openid != openid or not reason or case.satisfaction != UNSATISFIED:
        return False
    case.satisfaction_reason = reason
    await record(session, rt, case, action="rate_reason", actor=Actor.citizen(openid), text=reason)
    await _notify_responsible(session, rt, case, kind="unsatisfied",
                              text=REASON_NOTICE.format(number=case.number, reason=reason[:500]),
                              dedupe=f"unsatisfied_reason:{case.id}:{case.reopened_count}")
    return True


async def _notify_responsible(session: AsyncSession, rt: Runtime, case: Case, *, kind: str, text: str,
                              dedupe: str) -> int:
    people: list[Person] = []
    for person_id in (case.owner_id, case.leader_id):
        person = await session.get(Person, person_id) if person_id else None
        if person is not None:
            people.append(person)
    if not people and case.department_id:
        people = await active_people(session, roles=("staff",), department_id=case.department_id)
    return await notify_people(session, rt, people, kind=kind, text=text, case_id=case.id, case=case, dedupe_key=dedupe)
