"""WeChat's delivery reports for template messages (the ``TEMPLATESENDJOBFINISH`` event).

The event handler (``handlers.events``) passes the message id and status here; the outbox row the
sender stamped with that id gets WeChat's final word.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage.models import OutboxMessage

REASON_NOT_DELIVERED = "模板消息未送达：{status}"


async def record_delivery(session: AsyncSession, rt: Runtime, msgid: str, status: str) -> bool:
    """TEMPLATESENDJOBFINISH: WeChat's final word on a template message (``success``,
    ``failed:user block``, ``failed: system failed``). Returns whether a message matched."""
    row = await session.scalar(select(OutboxMessage).where(OutboxMessage.wechat_msgid == str(msgid)))
    if row is None:
        return False
    row.delivery_status = status[:64]
    if status == "success":
        row.delivered_at = rt.now()
    else:
        row.status = "failed"
        row.last_error = REASON_NOT_DELIVERED.format(status=status)
    return True
