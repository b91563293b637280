"""Reception days (接访日): sessions (recurring or one-off), their dated occurrences, and bookings.

A session is a rule ("every Tuesday 09:00-11:30") or a single date. An occurrence row is created the
first time anybody books or cancels that session on a given date; it carries the booked counter that
is incremented with a guarded UPDATE, so slots never overbook however many workers book at once.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base
from storage.models.cases import Case
from storage.models.people import Person

RECEPTION_FORMS = ("现场接访", "带案下访", "重点约访", "驻点指导", "公开定点接访")
# 五人代表: a group visit sends at most five representatives.
MAX_PEOPLE = 5
BOOKING_STATUSES = ("booked", "cancelled", "office_cancelled", "attended")


class ReceptionSession(Base):
    __tablename__ = "reception_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable key for sessions defined in the TOML config, so reloading updates instead of duplicating.
    config_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # Person ids of the accompanying department heads (陪访).
    companion_ids: Mapped[list[Any]] = mapped_column(default=list)
    # Recurring: weekday 0=Monday..6=Sunday; one-off: on_date. Exactly one of them is set.
    weekday: Mapped[int | None]
    on_date: Mapped[date | None] = mapped_column(Date, index=True)
    # Recurring rules may be bounded (a campaign's 集中下访 phase).
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # Local (Asia/Shanghai) wall-clock window.
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(128))
    form: Mapped[str] = mapped_column(String(16), default="现场接访")
    slots: Mapped[int] = mapped_column(default=10)
    # Which matters the leader receives (shown to citizens).
    scope: Mapped[str | None] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    leader: Mapped[Person] = relationship(lazy="joined")

    @property
    def recurring(self) -> bool:
        return self.weekday is not None


class ReceptionOccurrence(Base):
    """One session on one date: the slot counter and a per-date cancellation (holiday, leader away)."""

    __tablename__ = "reception_occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id"))
    day: Mapped[date] = mapped_column(Date)
    booked: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[bool] = mapped_column(default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("session_id", "day", name="uq_reception_occurrences_session_day"),)


class ReceptionBooking(Base):
    __tablename__ = "reception_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("reception_occurrences.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    description: Mapped[str | None] = mapped_column(Text)
    people: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="booked")
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]

    case: Mapped[Case | None] = relationship(lazy="joined")

    __table_args__ = (
        # One live booking per citizen per occurrence (both databases support partial indexes).
        Index("uq_reception_bookings_live", "occurrence_id", "openid", unique=True,
              sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),
    )


# Indexes the timed sweeps need on ``cases`` beyond the deadline ones declared with the model:
# auto-close scans resolved cases by resolution time, 回头看 scans closed cases by closing time
# (most of a mature database is closed, so ``status`` alone would not narrow it).
Index("ix_cases_status_resolved_at", Case.status, Case.resolved_at)
Index("ix_cases_status_closed_at", Case.status, Case.closed_at)
