"""The office web console's own rows: one-time login links, browser sessions, and the case-file access log.

Login links and sessions store only the sha256 of their secret, so a copy of the database does not
let anyone in. The access log is append-only: 信访 files are confidential and the supervision office
reads who opened which case file and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class ConsoleLoginToken(Base):
    """A one-time link issued from chat (``登录``) or the CLI: 10 minutes, single use, bound to an openid."""

    __tablename__ = "console_login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # The openid the person had when the link was issued; a link stops working once they unbind.
    openid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A browser session. Ends on 退出, after 30 idle minutes, or when the person is unbound or deactivated."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class CaseView(Base):
    """Someone opened a case file in the console (who, which case, when). Never updated or deleted."""

    __tablename__ = "case_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_case_views_case_at", "case_id", "at"), Index("ix_case_views_at", "at"))
