"""Conversation state (the FSM storage): a named state plus a small data dict per openid, in the DB.

State names are namespaced by the flow that owns them (``report_*``, ``booking_*``, ``staff_*``…);
``idle`` means no flow is running. The webhook reads the record when a message arrives and writes
it back, in the message's own transaction, only if a handler changed it
(``storage.repositories.inbound``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dispatch import Context
from storage.repositories.inbound import IDLE, ConversationState

__all__ = ["IDLE", "ConversationState", "load", "remember_list", "reset", "set_state", "update_data"]


async def load(ctx: Context) -> ConversationState:
    conv = ctx.extra.get("conversation")
    if conv is None:
        # Only a message the webhook did not arrive (never in production) gets a blank record here.
        conv = ctx.extra["conversation"] = ConversationState(ctx.openid)
    return conv


def _changed(ctx: Context, conv: ConversationState) -> ConversationState:
    conv.updated_at = ctx.rt.now()
    conv.changed = True
    return conv


async def set_state(ctx: Context, state: str, data: dict[str, Any] | None = None) -> ConversationState:
    conv = await load(ctx)
    conv.state = state
    conv.data = dict(data or {})
    ctx.extra["state"] = state
    return _changed(ctx, conv)


async def update_data(ctx: Context, **changes: Any) -> ConversationState:
    conv = await load(ctx)
    conv.data = {**(conv.data or {}), **changes}
    return _changed(ctx, conv)


async def reset(ctx: Context) -> None:
    await set_state(ctx, IDLE, {})


async def remember_list(session: AsyncSession, ctx: Context, case_ids: list[int]) -> None:
    """Short indexes (1, 2, …) of the last list shown refer to these case ids."""
    conv = await load(ctx)
    conv.last_list = list(case_ids)
    _changed(ctx, conv)
