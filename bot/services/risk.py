"""Risk checks on a newly filed case: repeat petitions (重信重访) and group-risk signs (群体性苗头).

Repeat petitions are linked and flagged, never merged: the citizen keeps both numbers and staff see
the link. Group risk is raised by an urgency keyword in the text, or by several different citizens
reporting similar text in the same category within 24 hours (at the same place when a place is
given); the alert goes through the outbox to the supervision office and the department's leaders.

Finding the similar reports is an indexed lookup, not a scan: every citizen case's bigram sketch is
kept in ``case_shingles`` (``nlp.similarity.sketch``); a new case asks the index which cases of the
window share enough sketch entries with its bigrams, and only those few are compared exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import OPEN_STATUSES
from bot.outbox import notify_person
from bot.runtime import Runtime
from bot.services.cases import Actor, record
from nlp import bigrams, cosine, similarity
from nlp.similarity import SKETCH_SIZE, bigram_hashes, min_shared, shared_factor, shared_needed, sketch
from storage.models import Case, Department
from storage.repositories import risk_index
from storage.repositories.cases import (
    active_people,
    cases_by_ids,
    cases_with_event,
    citizen_open_or_recent_cases,
    phone_open_or_recent_cases,
)

REPEAT_WINDOW = timedelta(days=180)
REPEAT_SIMILARITY = 0.5
GROUP_WINDOW = timedelta(hours=24)
GROUP_SIMILARITY = 0.35
GROUP_MIN_CITIZENS = 3
SAME_PLACE_METRES = 1000.0
PLACE_SIMILARITY = 0.5
ALERT_ACTION = "group_risk_alert"

# Outbound alert (to staff, not citizens): Chinese, with the essentials first.
ALERT_URGENT = "【群体性苗头预警】{number}（{category}，{department}）含紧急关键词：{words}。内容：{title}。请立即关注处置。"
ALERT_GROUP = ("【群体性苗头预警】24小时内{count}名群众反映相似问题（{category}，{department}{place}）：{title}。"
               "涉及编号：{numbers}。请立即关注处置。")


@dataclass
class RiskResult:
    repeat_of: Case | None = None
    urgent_words: list[str] = field(default_factory=list)
    cluster: list[Case] = field(default_factory=list)
    alerted: int = 0

    @property
    def group_risk(self) -> bool:
        return bool(self.urgent_words or self.cluster)


async def assess_new_case(session: AsyncSession, rt: Runtime, case: Case) -> RiskResult:
    """Run both checks on a case just filed (same transaction)."""
    result = RiskResult(repeat_of=await link_repeat(session, rt, case))
    result.urgent_words, result.cluster, result.alerted = await check_group_risk(session, rt, case)
    return result


async def link_repeat(session: AsyncSession, rt: Runtime, case: Case) -> Case | None:
    """Link ``case`` to the same citizen's most similar open or recent case, if similar enough.

    The citizen is their WeChat openid, or, for a visit, letter or call staff registered, the
    phone number they gave (the same person may also have reported in the chat with it)."""
    since = rt.now() - REPEAT_WINDOW
    if case.citizen_openid:
        candidates = await citizen_open_or_recent_cases(session, case.citizen_openid, open_statuses=OPEN_STATUSES,
                                                        since=since, exclude_id=case.id)
    elif case.phone:
        candidates = await phone_open_or_recent_cases(session, case.phone, open_statuses=OPEN_STATUSES,
                                                      since=since, exclude_id=case.id)
    else:
        return None
    best, best_score = None, 0.0
    mine = bigrams(case.content)
    for other in candidates:
        score = cosine(mine, bigrams(other.content))
        if score > best_score:
            best, best_score = other, score
    if best is None or best_score < REPEAT_SIMILARITY:
        return None
    case.repeat_of_id = best.id
    data = {"repeat_of": best.number, "similarity": round(best_score, 3)}
    await record(session, rt, case, action="repeat_link", actor=Actor.system(), public=False,
                 text=f"与 {best.number} 相似（重信重访）", data=data)
    await record(session, rt, best, action="repeat_linked", actor=Actor.system(), public=False,
                 text=f"{case.number} 与本件相似（重信重访）", data={"repeat": case.number})
    return best


async def check_group_risk(session: AsyncSession, rt: Runtime, case: Case) -> tuple[list[str], list[Case], int]:
    """Returns (urgency words, cluster of similar cases from different citizens, alerts queued)."""
    alerted = 0
    urgent = [str(w) for w in (case.urgent_flags or [])]
    if urgent:
        case.group_risk = True
        await record(session, rt, case, action=ALERT_ACTION, actor=Actor.system(), public=False,
                     text="紧急关键词：" + "、".join(urgent), data={"reason": "urgent", "words": urgent})
        text = ALERT_URGENT.format(number=case.number, category=case.category, department=await _dept(session, case),
                                   words="、".join(urgent), title=case.title)
        alerted += await _alert(session, rt, case, text, dedupe=f"group_alert:urgent:{case.id}")

    cluster = await similar_reports(session, rt, case)
    citizens = {c.citizen_openid for c in cluster}
    if len(citizens) < GROUP_MIN_CITIZENS:
        return urgent, [], alerted
    already = await cases_with_event(session, [c.id for c in cluster if c.id != case.id], ALERT_ACTION)
    for member in cluster:
        member.group_risk = True
    numbers = [c.number for c in cluster]
    await record(session, rt, case, action=ALERT_ACTION if not already else "group_risk_joined",
                 actor=Actor.system(), public=False, text="相似反映：" + "、".join(numbers),
                 data={"reason": "cluster", "cases": numbers, "citizens": len(citizens)})
    if not already:
        # Alert once per cluster; later reporters join it without a new alarm.
        place = f"，地点：{case.location_text}" if case.location_text else ""
        text = ALERT_GROUP.format(count=len(citizens), category=case.category, department=await _dept(session, case),
                                  place=place, title=case.title, numbers="、".join(numbers))
        alerted += await _alert(session, rt, case, text, dedupe=f"group_alert:cluster:{case.id}")
    return urgent, cluster, alerted


async def similar_reports(session: AsyncSession, rt: Runtime, case: Case) -> list[Case]:
    """``case`` plus the cases of the last 24 hours about the same matter: similar text, same place.

    Similar text from several people at one place is the signal; the category is not required to
    match, because a borderline wording can tip one report into a neighbouring category and a
    missed 群体性 warning costs far more than a spare alert.
    """
    mine = bigrams(case.content)
    hashes = bigram_hashes(mine)
    matches = await risk_index.sketch_matches(
        session, hashes, since=rt.now() - GROUP_WINDOW, exclude_id=case.id,
        min_shared=min_shared(len(hashes), GROUP_SIMILARITY), factor=shared_factor(GROUP_SIMILARITY),
        sketch_size=SKETCH_SIZE)
    candidates = [case_id for case_id, count, shared in matches
                  if shared >= shared_needed(len(hashes), count, GROUP_SIMILARITY)]
    others = await risk_index.report_texts(session, candidates)
    # The place test first: it is the cheaper one.
    ids = [other.id for other in others
           if same_place(case, other) and cosine(mine, bigrams(other.content)) >= GROUP_SIMILARITY]
    if case.citizen_openid:
        # Only identified citizens' reports count towards a cluster (several *people*).
        await risk_index.add_sketch(session, case_id=case.id, registered_at=case.registered_at,
                                    sketch=sketch(hashes), bigram_count=len(hashes))
    return [case, *await cases_by_ids(session, ids)]


async def prune_index(session: AsyncSession, rt: Runtime) -> int:
    """Drop index rows older than any window needs (twice the 24-hour window, for late clocks)."""
    return await risk_index.prune(session, before=rt.now() - 2 * GROUP_WINDOW)


def same_place(a: Any, b: Any) -> bool:
    """Same place when both give one; a case without a place does not rule the match out."""
    if a.latitude is not None and a.longitude is not None and b.latitude is not None and b.longitude is not None:
        return _metres(a.latitude, a.longitude, b.latitude, b.longitude) <= SAME_PLACE_METRES
    if a.location_text and b.location_text:
        x, y = a.location_text, b.location_text
        return x in y or y in x or similarity(x, y) >= PLACE_SIMILARITY
    return True


async def _alert(session: AsyncSession, rt: Runtime, case: Case, text: str, *, dedupe: str) -> int:
    supervisors = await active_people(session, roles=("supervisor",))
    leaders = await active_people(session, roles=("leader",), department_id=case.department_id)
    sent = 0
    seen: set[int] = set()
    for person in [*supervisors, *leaders]:
        if person.id in seen:
            continue
        seen.add(person.id)
        if await notify_person(session, rt, person, kind="group_alert", text=text, case_id=case.id, case=case,
                               dedupe_key=dedupe, fields={"number": case.number, "category": case.category}):
            sent += 1
    return sent


async def _dept(session: AsyncSession, case: Case) -> str:
    # Not case.department: on a case just flushed that relationship would lazy-load (no await).
    dept = await session.get(Department, case.department_id) if case.department_id else None
    return dept.name if dept is not None else "待分办"


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
