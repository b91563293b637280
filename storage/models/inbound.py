"""The inbound message log: one row per WeChat delivery, keyed for retry de-duplication.

Rows are the record of what arrived. Their raw part (the text and the passive reply) is kept for
``inbound_retention_days`` and then reduced to metadata (``bot.jobs.retention``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class InboundMessage(Base):
    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # MsgId for messages, "FromUserName:CreateTime:Event" for events: WeChat retries reuse it.
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    # The signed query's "timestamp:nonce" (``protocol.replay_key``): a captured URL carries one
    # body only. Unique, so the check is the insert itself; cleared once the timestamp is too old
    # to pass the replay window anyway (``bot.jobs.retention``).
    query_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(index=True)
    # The webhook writes the row once, with its reply, in the message's own transaction, so a
    # stored row is "done"; "reduced" once the retention job has removed its text and reply.
    status: Mapped[str] = mapped_column(String(16), default="done")
    # The plaintext reply XML given to WeChat ("" for "success"), replayed verbatim on retries.
    reply_xml: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
