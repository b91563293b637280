"""Conversation state per openid (the FSM storage), in the database so any worker can continue it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class Conversation(Base):
    __tablename__ = "conversations"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(32), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
    # Staff/leader short indexes from the last list (待办 → 1, 2, …): list of case ids.
    last_list: Mapped[list[Any]] = mapped_column(default=list)
