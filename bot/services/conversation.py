"""Conversation state (the FSM storage): a named state plus a small data dict per openid, in the DB.

State names are namespaced by the flow that owns them (``report_*``, ``booking_*``, ``staff_*``…);
``idle`` means no flow is running.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dispatch import Context
from storage.models import Conversation

IDLE = "idle"


async def load(ctx: Context) -> Conversation:
    conv = ctx.extra.get("conversation")
    # The webhook already looked the row up; only load when nobody has (None there means "no row").
    if conv is None and "conversation" not in ctx.extra:
        conv = await ctx.session.get(Conversation, ctx.openid)
    if conv is None:
        conv = Conversation(openid=ctx.openid, state=IDLE, data={}, last_list=[], updated_at=ctx.rt.now())
        ctx.session.add(conv)
    ctx.extra["conversation"] = conv
    return conv


async def set_state(ctx: Context, state: str, data: dict[str, Any] | None = None) -> Conversation:
    conv = await load(ctx)
    conv.state = state
    # Reassign (not mutate) so SQLAlchemy sees the JSON change.
    conv.data = dict(data or {})
    conv.updated_at = ctx.rt.now()
    ctx.extra["state"] = state
    return conv


async def update_data(ctx: Context, **changes: Any) -> Conversation:
    conv = await load(ctx)
    conv.data = {**(conv.data or {}), **changes}
    conv.updated_at = ctx.rt.now()
    return conv


async def reset(ctx: Context) -> None:
    await set_state(ctx, IDLE, {})


async def remember_list(session: AsyncSession, ctx: Context, case_ids: list[int]) -> None:
    """Short indexes (1, 2, …) of the last list shown refer to these case ids."""
    conv = await load(ctx)
    conv.last_list = list(case_ids)
    conv.updated_at = ctx.rt.now()
