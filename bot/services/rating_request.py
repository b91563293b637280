"""The rating request (请评价) a citizen gets when their case is resolved.

Sent by the resolve action (``bot.services.workflow.resolve``) in the same transaction; the answer
is taken by ``bot.services.rating``. A module of its own so that neither of those two imports the
other's caller: rating reopens through the workflow, the workflow asks for ratings through here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import notify
from bot.runtime import Runtime
from storage.models import Case

RATING_REQUEST = "请对 {number}（{title}）的办理结果进行评价：回复 1 满意，2 基本满意，3 不满意。"


async def request_rating(session: AsyncSession, rt: Runtime, case: Case) -> bool:
    """Queue the rating request to the citizen (once per resolution)."""
    resolved_at = case.resolved_at or rt.now()
    text = RATING_REQUEST.format(number=case.number, title=case.title)
    return await notify(session, rt, openid=case.citizen_openid, kind="rating_request", text=text,
                        case_id=case.id, dedupe_key=f"rating_request:{case.id}:{resolved_at.isoformat()}",
                        fields={"number": case.number, "result": (case.result or "")[:20]})
