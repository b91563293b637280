"""Departments, bound people (staff, leaders, supervisors, admins) and the followers of the account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base

ROLES = ("staff", "leader", "supervisor", "admin")


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # Triage desk (信访局) gets uncategorised cases; supervision office (督查室) gets escalations.
    is_triage: Mapped[bool] = mapped_column(default=False)
    is_supervision: Mapped[bool] = mapped_column(default=False)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # sha256 of the one-time binding code; cleared once used.
    bind_code_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    bind_code_expires_at: Mapped[datetime | None]
    bound_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    # "all" for a leader whose reach is the whole county (``people add --scope all``).
    scope: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]

    department: Mapped[Department | None] = relationship(lazy="joined")


class BindAttempt(Base):
    """A wrong binding code sent by an openid; rate limiting counts these per hour."""

    __tablename__ = "bind_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_bind_attempts_openid_at", "openid", "at"),)


class Follower(Base):
    """Every openid that talked to or followed the account: subscription and the 48-hour window."""

    __tablename__ = "followers"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(default=True)
    subscribed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    # Customer-service messages sent since the last inbound message (WeChat allows a few per message).
    custom_sent_since_inbound: Mapped[int] = mapped_column(default=0)
