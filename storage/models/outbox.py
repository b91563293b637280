"""The outbox: every message to a person, written with the change that caused it, sent later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

OUTBOX_STATUSES = ("pending", "sending", "sent", "waiting", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    # Message kind, e.g. accept_notice, reply, group_alert, overdue_alert; picks the template id.
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    # Template keyword fields for sends outside the 48-hour window.
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # Once-only key for notifications: (kind, target, case or session, due moment).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    channel: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Template sends: WeChat's msgid, and the TEMPLATESENDJOBFINISH status once reported.
    wechat_msgid: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None]
    # Which sender process claimed it (debugging double sends).
    claimed_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
