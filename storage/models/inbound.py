"""The inbound message log: one row per WeChat delivery, keyed for retry de-duplication."""

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
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    # The webhook writes the row once, with its reply, in the message's own transaction, so a
    # stored row is always "done"; the column lets tooling tell it apart from imported history.
    status: Mapped[str] = mapped_column(String(16), default="done")
    # The plaintext reply XML given to WeChat ("" for "success"), replayed verbatim on retries.
    reply_xml: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
