"""Cases (信访事项), their append-only event log, attachments and the per-day number sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base
from storage.models.people import Department, Person

# Statuses, transitions and deadlines are case policy (bot.case_policy); the columns only hold them.
CASE_SOURCES = ("wechat", "reception", "letter", "phone", "排查", "下访")


class CaseSequence(Base):
    """Last number used per day (Asia/Shanghai date), incremented atomically by an upsert."""

    __tablename__ = "case_sequences"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    citizen_openid: Mapped[str | None] = mapped_column(String(64), index=True)
    citizen_name: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), index=True)
    category_group: Mapped[str] = mapped_column(String(32), default="其他")
    # 建议意见类 / 检举控告类 / 申诉求决类 (信访工作条例 arts. 29-31)
    kind: Mapped[str] = mapped_column(String(16), default="申诉求决类")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    urgent_flags: Mapped[list[Any]] = mapped_column(default=list)
    group_risk: Mapped[bool] = mapped_column(default=False)
    location_text: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="wechat")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16), default="registered", index=True)

    registered_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Deadlines; the sweeps query these through their indexes.
    ack_due_at: Mapped[datetime | None] = mapped_column(index=True)
    resolve_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # End of the 申请复查 window after a decline or a result; recorded, not yet read by anything.
    review_due_at: Mapped[datetime | None]
    committed_days: Mapped[int | None]
    extension_days: Mapped[int | None]
    extension_reason: Mapped[str | None] = mapped_column(Text)

    result: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None]
    satisfaction_reason: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    # Leader's 确认办结 on a 包案 case (needed before 办结).
    leader_confirmed_at: Mapped[datetime | None]
    transfer_count: Mapped[int] = mapped_column(default=0)
    # 0 none, 1 复查 requested, 2 复核 requested.
    review_level: Mapped[int] = mapped_column(default=0)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    risk_level: Mapped[str | None] = mapped_column(String(8))
    reopened_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]

    department: Mapped[Department] = relationship(lazy="joined")
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    leader: Mapped[Person | None] = relationship(foreign_keys=[leader_id], lazy="joined")

    __table_args__ = (
        Index("ix_cases_status_ack_due", "status", "ack_due_at"),
        Index("ix_cases_status_resolve_due", "status", "resolve_due_at"),
        Index("ix_cases_citizen_registered", "citizen_openid", "registered_at"),
    )


class CaseEvent(Base):
    """One state change or action on a case. Append-only: never updated, never deleted."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    # citizen / staff / leader / supervisor / admin / system
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_openid: Mapped[str | None] = mapped_column(String(64))
    # register, accept, decline, reply, transfer, extend, resolve, confirm_resolve, recategorise,
    # take_charge, supervise, reopen, rate, close, supplement, review_request, ...
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Shown in the citizen's public timeline (查询 <编号>).
    public: Mapped[bool] = mapped_column(default=True)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # While a report is still a draft, the attachment belongs to the openid's conversation.
    openid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # image / voice / video / text
    media_id: Mapped[str | None] = mapped_column(String(256))
    pic_url: Mapped[str | None] = mapped_column(String(1024))
    recognition: Mapped[str | None] = mapped_column(Text)
    stored_path: Mapped[str | None] = mapped_column(String(512))
    download_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
