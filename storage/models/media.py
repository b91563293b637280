"""Attachment bytes kept in the database (the ``database`` media store, for multi-host deployments)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class MediaBlob(Base):
    __tablename__ = "media_blobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The store key (``20261124/MEDIA_x.jpg``): the same relative name the local store would use.
    key: Mapped[str] = mapped_column(String(512), unique=True)
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int]
    # A row whose bytes do not match is reported as unavailable rather than served damaged.
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
