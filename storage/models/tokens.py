"""The shared WeChat access token cache, one row per appid, refreshed by one process at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class AccessToken(Base):
    __tablename__ = "access_tokens"

    appid: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str | None] = mapped_column(String(1024))
    expires_at: Mapped[datetime | None]
    # A refresher holds this lease; others wait for it instead of refreshing too.
    lease_until: Mapped[datetime | None]
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    refreshed_count: Mapped[int] = mapped_column(default=0)
