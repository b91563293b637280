"""The group-risk index: each recent citizen case's bigram sketch, one row per sketch entry.

``bot.services.risk`` looks up similar reports of the last 24 hours through the primary key
(shingle, registered_at, case_id) instead of comparing every case's text; a daily job removes rows
older than the window.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class CaseShingle(Base):
    __tablename__ = "case_shingles"

    # A CRC-32 of one character bigram (nlp.similarity.bigram_hashes), signed to fit an INTEGER.
    shingle: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    registered_at: Mapped[datetime] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    # The case's count of distinct bigrams: the lookup's candidate bar depends on it.
    bigram_count: Mapped[int]

    __table_args__ = (Index("ix_case_shingles_registered_at", "registered_at"),)
