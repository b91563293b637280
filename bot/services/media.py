"""Keeping citizens' photos and voice messages: WeChat's temporary media expire after 3 days.

Media are fetched into the media store (``storage.media_store``: ``settings.media_dir`` or the
database, per ``settings.media_store``) as soon as the message that brought them has
committed: ``download_after_commit`` schedules the fetch on the session's commit, because fetching
inside the message's transaction would hold the database (SQLite's single writer) while talking to
WeChat, and the access-token cache itself needs to write. A failed fetch never loses the message:
the attachment row keeps its media id and ``download_error``, and ``retry_failed_downloads`` (for
the scheduler) tries again while WeChat still has the file.

Reading: ``open_media(rt, ref)`` / ``open_attachment(rt, attachment)`` return a ``MediaContent``
(bytes + content type) or raise ``MediaUnavailable`` ("附件不可用…") — never a raw I/O error.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage.engine import call_after_commit
from storage.media_store import MEDIA_UNAVAILABLE, MediaContent, MediaStore, MediaUnavailable, extension_for
from storage.models import Attachment
from storage.repositories.cases import failed_downloads

__all__ = ["MEDIA_UNAVAILABLE", "MediaContent", "MediaUnavailable", "media_store", "open_attachment", "open_media"]

log = logging.getLogger(__name__)

MEDIA_LIFETIME = timedelta(days=3)
# The citizen is waiting for the passive reply (5-second limit), so a slow download gives up early
# and is retried later rather than losing the reply.
DOWNLOAD_TIMEOUT_SECONDS = 3.0
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class InboundMedia:
    """What a photo / voice / video message carries (the chat side reads it off the message)."""

    kind: str  # image / voice / video
    media_id: str | None
    pic_url: str | None = None
    recognition: str | None = None  # a voice message's speech recognition


def new_attachment(rt: Runtime, openid: str, media: InboundMedia) -> Attachment:
    """An attachment row for an inbound image/voice message (not yet linked to a case)."""
    recognition = media.recognition if media.kind == "voice" else None
    return Attachment(openid=openid, kind=media.kind, media_id=media.media_id, pic_url=media.pic_url,
                      recognition=recognition, created_at=rt.now())


def download_after_commit(session: AsyncSession, rt: Runtime, attachment: Attachment) -> None:
    """Fetch ``attachment``'s media in the background once ``session`` commits (never if it rolls back)."""
    loop = asyncio.get_running_loop()
    attachment_id = attachment.id

    def on_commit() -> None:
        task = loop.create_task(_download_ids(rt, [attachment_id]))
        pending = _pending(rt)
        pending.add(task)
        task.add_done_callback(pending.discard)

    call_after_commit(session, on_commit)


async def wait_for_downloads(rt: Runtime) -> None:
    """Let the background downloads started so far finish (tests, and a clean shutdown)."""
    while _pending(rt):
        await asyncio.gather(*list(_pending(rt)), return_exceptions=True)


def _pending(rt: Runtime) -> set[asyncio.Task[None]]:
    # Kept on the runtime (one per process) rather than in a module global.
    return rt.background


async def _download_ids(rt: Runtime, ids: list[int]) -> None:
    for attachment_id in ids:
        try:
            async with rt.sessions() as session:
                attachment = await session.get(Attachment, attachment_id)
                if attachment is None or attachment.stored_path:
                    continue
            # The download happens outside any transaction; the result is saved in a short one.
            await store(rt, attachment)
            async with rt.sessions() as session, session.begin():
                row = await session.get(Attachment, attachment_id)
                if row is not None:
                    row.stored_path = attachment.stored_path
                    row.download_error = attachment.download_error
        except Exception:  # a background bug must be loud, and must not kill the loop
            log.exception("background media download failed for attachment %s", attachment_id)


def media_store(rt: Runtime) -> MediaStore:
    """The process's media store as configured (cheap to build: it holds no connection of its own)."""
    return MediaStore(rt.settings.media_store, rt.settings.media_dir, rt.sessions)


async def open_media(rt: Runtime, ref: str | None) -> MediaContent:
    """The bytes and content type behind an attachment reference (``Attachment.stored_path``).

    Raises ``MediaUnavailable`` (``str(exc)`` starts with "附件不可用") when the file or row is missing,
    damaged, or the reference is invalid — show that text instead of failing.
    """
    return await media_store(rt).open(ref)


async def open_attachment(rt: Runtime, attachment: Attachment) -> MediaContent:
    """``open_media`` for an attachment row; one not downloaded (yet) is unavailable too."""
    if not attachment.stored_path:
        reason = "尚未下载" if not attachment.download_error else "下载失败"
        raise MediaUnavailable(None, reason)
    return await open_media(rt, attachment.stored_path)


async def discard(rt: Runtime, ref: str | None) -> None:
    """Remove stored bytes (a cancelled draft's photo); a failure is logged, never raised."""
    try:
        await media_store(rt).delete(ref)
    except Exception:
        log.warning("media %s not removed", ref, exc_info=True)


def discard_after_commit(session: AsyncSession, rt: Runtime, ref: str | None) -> None:
    """``discard`` once ``session`` commits: the row's deletion must stick before the bytes go."""
    if not ref:
        return
    loop = asyncio.get_running_loop()

    def on_commit() -> None:
        task = loop.create_task(discard(rt, ref))
        _pending(rt).add(task)
        task.add_done_callback(_pending(rt).discard)

    call_after_commit(session, on_commit)


async def store(rt: Runtime, attachment: Attachment, session: AsyncSession | None = None) -> bool:
    """Download the attachment's media into the media store; record any failure on the row.

    ``session``: a transaction the caller already holds (the database store writes in it)."""
    if not attachment.media_id:
        attachment.download_error = "no media id"
        return False
    if rt.api is None:
        attachment.download_error = "no WeChat API client"
        return False
    try:
        data, content_type = await asyncio.wait_for(rt.api.download_media(attachment.media_id),
                                                     DOWNLOAD_TIMEOUT_SECONDS)
        ref = await media_store(rt).save(_key_for(rt, attachment, content_type), data, content_type, session)
    except Exception as exc:  # any failure is recorded, the message itself is kept
        log.warning("media %s not downloaded: %r", attachment.media_id, exc)
        attachment.download_error = f"{type(exc).__name__}: {exc}"[:500] or "timeout"
        return False
    attachment.stored_path = ref
    attachment.download_error = None
    return True


async def retry_failed_downloads(session: AsyncSession, rt: Runtime) -> int:
    """Retry media not yet stored and not yet expired; returns how many were stored now."""
    stored = 0
    for attachment in await failed_downloads(session, since=rt.now() - MEDIA_LIFETIME):
        if await store(rt, attachment, session):
            stored += 1
    return stored


def _key_for(rt: Runtime, attachment: Attachment, content_type: str) -> str:
    # Relative, so the reference means the same on every host (and after the directory moves).
    day = rt.local_now().strftime("%Y%m%d")
    name = _SAFE_NAME.sub("_", attachment.media_id or "media")[:120]
    return f"{day}/{name}.{extension_for(content_type)}"


async def attach_media(session: AsyncSession, rt: Runtime, openid: str, media: InboundMedia) -> Attachment:
    """Store the photo / voice / video of an inbound message as an attachment (not yet on a case)
    and fetch its media once the message's transaction commits (WeChat keeps it only 3 days)."""
    attachment = new_attachment(rt, openid, media)
    session.add(attachment)
    await session.flush()
    if media.kind in ("image", "voice"):
        download_after_commit(session, rt, attachment)
    return attachment
