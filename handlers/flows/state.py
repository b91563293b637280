"""Conversation state (the FSM record) as the flows use it: a state plus typed data per openid.

The record (``ConversationState``: state name, data dict, last list shown) is read by the webhook
when a message arrives and handed to the ``Context``; it is written back, in the message's own
transaction, only if a flow changed it (``storage.repositories.inbound``). State names are the
values of each flow's ``Enum`` (``report_place``, ``booking_people``…), so records written before a
deploy keep working; ``idle`` means no flow is running.

Each flow keeps its data as a dataclass (``FlowData`` subclass); ``load`` rebuilds it from the
stored dict and ``enter`` stores it back, so a flow never spells a data key as a string.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from bot.conversation_data import ConversationData
from bot.dispatch import Context

IDLE = "idle"

# A flow's typed data (a dataclass subclass of this).
FlowData = ConversationData


D = TypeVar("D", bound=FlowData)


def load(ctx: Context, kind: type[D]) -> D:
    """The running flow's data as ``kind``."""
    return kind.from_dict(ctx.conversation.data)


def _changed(ctx: Context) -> None:
    ctx.conversation.updated_at = ctx.rt.now()
    ctx.conversation.changed = True


def enter(ctx: Context, state: StrEnum | str, data: FlowData | None = None) -> None:
    """Move the sender's conversation to ``state`` with ``data`` (replacing the old data)."""
    conv = ctx.conversation
    conv.state = str(state)
    conv.data = data.to_dict() if data is not None else {}
    _changed(ctx)


def save(ctx: Context, data: FlowData) -> None:
    """Store ``data`` in the current state."""
    ctx.conversation.data = data.to_dict()
    _changed(ctx)


def reset(ctx: Context) -> None:
    """End whatever flow runs: back to ``idle`` with no data."""
    enter(ctx, IDLE)


def remember_list(ctx: Context, case_ids: list[int]) -> None:
    """Short indexes (1, 2, …) of the last list shown refer to these case ids."""
    ctx.conversation.last_list = list(case_ids)
    _changed(ctx)


def last_list(ctx: Context) -> list[int]:
    return [int(i) for i in ctx.conversation.last_list or []]


def remember_in_idle(ctx: Context, **values: Any) -> None:
    """Keep ``values`` in the record's data outside any flow (the reception list the 预约 numbers
    refer to); a flow started later replaces them."""
    ctx.conversation.data = {**(ctx.conversation.data or {}), **values}
    _changed(ctx)
