"""Where attachment bytes live: a local directory or the database, behind one small interface.

An attachment row stores a *reference*, never an absolute path:

- ``20261124/MEDIA_x.jpg`` — a file under the local media directory (``LocalMediaStore``);
- ``db:20261124/MEDIA_x.jpg`` — a ``media_blobs`` row (``DatabaseMediaStore``), readable from any
  host that reaches the database, whatever its working directory.

``MediaStore`` writes to the configured backend and reads any reference by its prefix, so switching
the backend (or moving old files with ``xinfang media move``) never strands an attachment. Every
read failure — missing file, missing row, damaged bytes, a reference that escapes the directory —
is one ``MediaUnavailable`` whose message starts with "附件不可用", never a raw exception.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import SessionFactory
from storage.models.media import MediaBlob

MEDIA_UNAVAILABLE = "附件不可用"
DB_PREFIX = "db:"
BACKENDS = ("local", "database")

_EXTENSIONS = {"image/jpeg": "jpg", "image/jpg": "jpg", "image/png": "png", "image/gif": "gif",
               "audio/amr": "amr", "audio/speex": "speex", "audio/mp3": "mp3", "audio/mpeg": "mp3"}
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "amr": "audio/amr",
          "speex": "audio/speex", "mp3": "audio/mpeg"}
_SAFE_PART = re.compile(r"^[A-Za-z0-9_.-]+$")


class MediaUnavailable(Exception):
    """The attachment's bytes cannot be read; ``str()`` is the Chinese message to show."""

    def __init__(self, ref: str | None, reason: str) -> None:
        super().__init__(f"{MEDIA_UNAVAILABLE}（{reason}）")
        self.ref = ref
        self.reason = reason


@dataclass(frozen=True)
class MediaContent:
    """An attachment's bytes and their MIME type (``image/jpeg``, ``audio/amr``, …)."""

    data: bytes
    content_type: str
    ref: str

    @property
    def extension(self) -> str:
        return extension_for(self.content_type)


def extension_for(content_type: str) -> str:
    return _EXTENSIONS.get((content_type or "").split(";")[0].strip().lower(), "bin")


def content_type_for(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def check_key(key: str | None) -> str:
    """``key`` as a safe relative name (``day/name.ext``); anything else is unavailable, not a path."""
    if not key:
        raise MediaUnavailable(key, "没有保存的文件")
    parts = PurePosixPath(key).parts
    if key.startswith(("/", "\\")) or not parts or not all(_SAFE_PART.match(p) and p not in (".", "..")
                                                           for p in parts):
        raise MediaUnavailable(key, "文件位置无效")
    return "/".join(parts)


class LocalMediaStore:
    """Files under one directory; references are paths relative to it."""

    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    async def save(self, key: str, data: bytes, content_type: str, session: AsyncSession | None = None) -> str:
        key = check_key(key)
        await asyncio.to_thread(_write, self.root / key, data)
        return key

    async def read(self, ref: str) -> MediaContent:
        key = check_key(ref)
        try:
            data = await asyncio.to_thread((self.root / key).read_bytes)
        except FileNotFoundError:
            raise MediaUnavailable(ref, "文件不存在") from None
        except OSError as exc:
            raise MediaUnavailable(ref, f"读取失败：{exc.strerror or type(exc).__name__}") from None
        return MediaContent(data, content_type_for(key), ref)

    async def delete(self, ref: str) -> None:
        key = check_key(ref)
        await asyncio.to_thread((self.root / key).unlink, True)


class DatabaseMediaStore:
    """``media_blobs`` rows (bytea on PostgreSQL, BLOB on SQLite); references are ``db:<key>``."""

    backend = "database"

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    async def save(self, key: str, data: bytes, content_type: str, session: AsyncSession | None = None) -> str:
        """Store the bytes; inside ``session``'s transaction when given (SQLite has one writer, so a
        caller already in a write transaction must not open a second one)."""
        key = check_key(key)
        if session is not None:
            await self._put(session, key, data, content_type)
        else:
            async with self.sessions() as own, own.begin():
                await self._put(own, key, data, content_type)
        return DB_PREFIX + key

    @staticmethod
    async def _put(session: AsyncSession, key: str, data: bytes, content_type: str) -> None:
        # Same key again (a retried download): replace, so the reference stays the same.
        await session.execute(delete(MediaBlob).where(MediaBlob.key == key))
        session.add(MediaBlob(key=key, content_type=content_type or "application/octet-stream",
                              size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                              created_at=datetime.now(UTC)))
        await session.flush()

    async def read(self, ref: str) -> MediaContent:
        key = check_key(ref.removeprefix(DB_PREFIX))
        async with self.sessions() as session:
            row = (await session.execute(
                select(MediaBlob.data, MediaBlob.content_type, MediaBlob.size, MediaBlob.sha256)
                .where(MediaBlob.key == key))).first()
        if row is None:
            raise MediaUnavailable(ref, "数据库中没有该文件")
        data, content_type, size, digest = row
        if data is None or len(data) != size or hashlib.sha256(bytes(data)).hexdigest() != digest:
            raise MediaUnavailable(ref, "文件已损坏")
        return MediaContent(bytes(data), content_type or content_type_for(key), ref)

    async def delete(self, ref: str) -> None:
        key = check_key(ref.removeprefix(DB_PREFIX))
        async with self.sessions() as session, session.begin():
            await session.execute(delete(MediaBlob).where(MediaBlob.key == key))


class MediaStore:
    """Writes go to the configured backend; reads and deletes follow the reference's own prefix."""

    def __init__(self, backend: str, root: Path, sessions: SessionFactory) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown media store {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.local = LocalMediaStore(root)
        self.database = DatabaseMediaStore(sessions)
        self.backend = backend

    @property
    def writer(self) -> LocalMediaStore | DatabaseMediaStore:
        return self.database if self.backend == "database" else self.local

    def holder(self, ref: str) -> LocalMediaStore | DatabaseMediaStore:
        return self.database if ref.startswith(DB_PREFIX) else self.local

    async def save(self, key: str, data: bytes, content_type: str, session: AsyncSession | None = None) -> str:
        """Store under the configured backend; returns the reference to keep on the attachment row."""
        return await self.writer.save(key, data, content_type, session)

    async def open(self, ref: str | None) -> MediaContent:
        if not ref:
            raise MediaUnavailable(ref, "没有保存的文件")
        try:
            return await self.holder(ref).read(ref)
        except MediaUnavailable:
            raise
        except Exception as exc:  # a database outage or a driver error is still "unavailable" to the caller
            raise MediaUnavailable(ref, f"读取失败：{type(exc).__name__}") from exc

    async def delete(self, ref: str | None) -> None:
        if ref:
            await self.holder(ref).delete(ref)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
