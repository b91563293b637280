"""A case's photos and voice messages for the staff who handle it (§3.2 ``附件``).

``详情`` lists them with their times (a voice message with WeChat's Recognition text); ``附件 <案> [n]``
queues them to the staff member: the outbox sender reads the stored file, uploads it to WeChat's
temporary media and sends an image or voice customer-service message (``bot.outbox_sender``).

WeChat keeps an inbound photo or voice for 3 days. A download that failed when the message came is
retried by ``retry_downloads`` (a scheduled job) until then; past the limit the attachment is marked
lost and a visible note goes into the case's log, so staff know the citizen sent something that
could not be kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import notify_person
from bot.runtime import Runtime
from bot.services import media
from bot.services.cases import Actor, record
from bot.services.media import MediaUnavailable
from storage.models import Attachment, Case, Person
from storage.repositories.cases import case_attachments

log = logging.getLogger(__name__)

SENDABLE = ("image", "voice")
KIND_LABELS = {"image": "图片", "voice": "语音", "video": "视频"}
# 附件 without an index sends at most this many (WeChat allows 5 customer-service messages per
# message the person sent; one is left for the reply's follow-ups).
MAX_AT_ONCE = 4
LOST_NOTE = "群众发送的{kind}（{at}）未能在微信3天保存期限内下载，已无法获取"
RETRY_BATCH = 50


@dataclass(frozen=True)
class AttachmentLine:
    index: int
    kind: str  # image / voice / video
    label: str
    at: datetime  # local time
    recognition: str | None
    state: str  # stored / pending / lost


async def lines(session: AsyncSession, rt: Runtime, case: Case) -> list[AttachmentLine]:
    out = []
    for index, attachment in enumerate(await _media_of(session, case), 1):
        state = "stored" if attachment.stored_path else ("lost" if attachment.lost_at else "pending")
        out.append(AttachmentLine(index, attachment.kind, KIND_LABELS.get(attachment.kind, "附件"),
                                  attachment.created_at.astimezone(rt.tz), attachment.recognition, state))
    return out


async def _media_of(session: AsyncSession, case: Case) -> list[Attachment]:
    return [a for a in await case_attachments(session, case.id) if a.kind in KIND_LABELS]


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    reason: str = ""  # none / bad_index / unavailable
    queued: list[AttachmentLine] | None = None
    skipped: list[AttachmentLine] | None = None
    more: int = 0


async def send_to(session: AsyncSession, rt: Runtime, case: Case, person: Person, index: int | None) -> SendOutcome:
    """Queue the case's photos / voice (or the ``index``-th) to ``person`` as chat messages."""
    attachments = await _media_of(session, case)
    listed = await lines(session, rt, case)
    if not attachments:
        return SendOutcome(False, "none")
    if index is not None:
        if not 1 <= index <= len(attachments):
            return SendOutcome(False, "bad_index", more=len(attachments))
        chosen = [(attachments[index - 1], listed[index - 1])]
    else:
        chosen = list(zip(attachments, listed, strict=True))
    queued: list[AttachmentLine] = []
    skipped: list[AttachmentLine] = []
    for attachment, line in chosen:
        if attachment.kind not in SENDABLE or line.state != "stored":
            skipped.append(line)
            continue
        if len(queued) >= MAX_AT_ONCE:
            continue
        await notify_person(session, rt, person, kind="attachment", case_id=case.id,
                            text=f"{case.number} 附件{line.index}：{line.label}（{line.at:%m-%d %H:%M}）",
                            fields={"_attachment_id": attachment.id, "_media_kind": attachment.kind,
                                    "number": case.number})
        queued.append(line)
    more = sum(1 for a, line in chosen if a.kind in SENDABLE and line.state == "stored") - len(queued)
    if not queued:
        return SendOutcome(False, "unavailable", skipped=skipped)
    return SendOutcome(True, queued=queued, skipped=skipped, more=more)


async def read(rt: Runtime, attachment_id: int) -> tuple[bytes, str, str]:
    """(bytes, content type, file name) of a stored attachment, read through the media store;
    ``MediaUnavailable`` (its text starts with "附件不可用") when it cannot be read."""
    async with rt.sessions() as session:
        attachment = await session.get(Attachment, attachment_id)
    if attachment is None:
        raise MediaUnavailable(None, "记录不存在")
    content = await media.open_attachment(rt, attachment)
    return content.data, content.content_type, f"attachment-{attachment_id}.{content.extension}"


async def retry_downloads(rt: Runtime) -> int:
    """Retry media downloads that failed while WeChat still keeps the file; past its 3 days, mark
    them lost with a note on the case. Returns how many attachments changed (stored or lost)."""
    now = rt.now()
    async with rt.sessions() as session:
        rows = list(await session.scalars(
            select(Attachment).where(and_(Attachment.stored_path.is_(None), Attachment.lost_at.is_(None),
                                          Attachment.media_id.is_not(None), Attachment.kind.in_(SENDABLE)))
            .order_by(Attachment.id).limit(RETRY_BATCH)))
    changed = 0
    for attachment in rows:
        if now - attachment.created_at >= media.MEDIA_LIFETIME:
            await _mark_lost(rt, attachment.id)
            changed += 1
            continue
        # The download happens outside any transaction; the result is saved in a short one.
        stored = await media.store(rt, attachment)
        async with rt.sessions() as session, session.begin():
            row = await session.get(Attachment, attachment.id)
            if row is not None:
                row.stored_path = attachment.stored_path
                row.download_error = attachment.download_error
        changed += int(stored)
    return changed


async def _mark_lost(rt: Runtime, attachment_id: int) -> None:
    async with rt.sessions() as session, session.begin():
        row = await session.get(Attachment, attachment_id)
        if row is None or row.lost_at is not None or row.stored_path:
            return
        row.lost_at = rt.now()
        note = LOST_NOTE.format(kind=KIND_LABELS.get(row.kind, "附件"),
                                at=row.created_at.astimezone(rt.tz).strftime("%m-%d %H:%M"))
        row.download_error = f"{note}（{row.download_error or '下载失败'}）"[:500]
        case = await session.get(Case, row.case_id) if row.case_id else None
        if case is not None:
            await record(session, rt, case, action="media_lost", actor=Actor.system(), text=note, public=False,
                         data={"attachment_id": row.id})
