"""A case file as the office console shows it, and the access log of who opened which file when.

Visibility is ``case_policy.can_see`` — the rule chat's ``详情`` uses — and a case the person may
not see is reported exactly like a missing one. Opening a file appends a ``CaseView`` row in the
same transaction, so a view that was shown is a view that was logged. 检举控告类 cases hide the
reporter's identity from everyone but the supervision office and admins (条例 art. 30), as in chat.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.case_policy import can_see, sees_identity
from bot.runtime import Runtime
from bot.services.case_queries import parse_number
from bot.services.masking import IdentityView, mask_for_viewer, view_for
from bot.services.media import MediaContent, MediaUnavailable, open_attachment
from bot.services.workflow import who
from storage.models import Attachment, Case, CaseEvent, CaseView, Person
from storage.repositories.cases import case_attachments

log = logging.getLogger(__name__)

HIDDEN = "（检举控告类，身份保密）"
VIEW_LOG_LIMIT = 200
FFMPEG_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    text: str | None
    public: bool
    data: dict


@dataclass(frozen=True)
class LinkedCase:
    """A case linked to this one (repeat or original), titled as this person may read it."""

    number: str
    title: str
    status: str


@dataclass
class CaseFile:
    case: Case
    timeline: list[TimelineEntry]
    photos: list[Attachment]
    voices: list[Attachment]
    other_media: list[Attachment]
    linked: list[LinkedCase]
    reporter_hidden: bool
    # Title, content, place, reporter and phone as this person may read them (``bot.services.masking``).
    view: IdentityView

    @property
    def title(self) -> str:
        return self.view.title

    @property
    def content(self) -> str:
        return self.view.content

    @property
    def location(self) -> str:
        return self.view.location or "—"

    @property
    def citizen(self) -> str:
        return self.view.citizen_name or ("微信用户" if self.case.citizen_openid else "—")

    @property
    def phone(self) -> str:
        return self.view.phone or "—"


def hides_reporter(person: Person, case: Case) -> bool:
    return not sees_identity(person, case)


async def visible_case(session: AsyncSession, person: Person, number: str) -> Case | None:
    """The case numbered ``number`` if ``person`` may see it; None for missing and hidden alike."""
    parsed = parse_number(number[:32] if number else None)
    if parsed is None:
        return None
    case = await session.scalar(select(Case).where(Case.number == parsed))
    return case if case is not None and can_see(person, case) else None


async def open_case_file(session: AsyncSession, rt: Runtime, person: Person, number: str) -> CaseFile | None:
    """Everything the case file page shows, and an access-log row for this view."""
    case = await visible_case(session, person, number)
    if case is None:
        return None
    session.add(CaseView(case_id=case.id, person_id=person.id, at=rt.now()))
    events = list(await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)))
    ids = {e.actor_id for e in events if e.actor_id}
    people = {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(ids)))).unique()} \
        if ids else {}
    # The reporter's own words in the log (补充, 评价理由) are masked like the content.
    timeline = [TimelineEntry(e.at, who(people[e.actor_id]) if e.actor_id in people else e.actor_role,
                              e.action, mask_for_viewer(person, case, e.text) if e.actor_role == "citizen" else e.text,
                              e.public, e.data or {}) for e in events]
    attachments = await case_attachments(session, case.id)
    linked_conditions = [Case.repeat_of_id == case.id]
    if case.repeat_of_id is not None:
        linked_conditions.append(Case.id == case.repeat_of_id)
    # A linked 检举控告 case's title is masked like its own page would show it.
    linked = [LinkedCase(c.number, view_for(person, c).title, c.status) for c in (await session.scalars(
        select(Case).where(or_(*linked_conditions)).order_by(Case.id))).unique() if can_see(person, c)]
    await session.flush()
    return CaseFile(
        case=case, timeline=timeline,
        photos=[a for a in attachments if a.kind == "image"],
        voices=[a for a in attachments if a.kind == "voice"],
        other_media=[a for a in attachments if a.kind not in ("image", "voice")],
        linked=linked, reporter_hidden=hides_reporter(person, case), view=view_for(person, case))


@dataclass(frozen=True)
class ViewRecord:
    at: datetime
    viewer: str
    number: str
    title: str


def may_read_view_log(person: Person) -> bool:
    return person.active and person.role in ("supervisor", "admin")


async def view_log(session: AsyncSession, person: Person, number: str = "",
                   limit: int = VIEW_LOG_LIMIT) -> list[ViewRecord] | None:
    """The latest case-file views (optionally of one case); None if ``person`` may not read the log."""
    if not may_read_view_log(person):
        return None
    stmt = (select(CaseView, Case.number, Case.title, Person)
            .join(Case, Case.id == CaseView.case_id).join(Person, Person.id == CaseView.person_id)
            .order_by(CaseView.at.desc(), CaseView.id.desc()).limit(limit))
    if number:
        stmt = stmt.where(Case.number == number.upper())
    rows = (await session.execute(stmt)).unique().all()
    return [ViewRecord(view.at, who(viewer), num, title) for view, num, title, viewer in rows]


# ---- media ---------------------------------------------------------------------------------------

async def visible_attachment(session: AsyncSession, person: Person, attachment_id: int) -> Attachment | None:
    """An attachment of a case ``person`` may see (None otherwise, including drafts' attachments)."""
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id is None:
        return None
    case = await session.get(Case, attachment.case_id)
    return attachment if case is not None and can_see(person, case) else None


async def attachment_media(rt: Runtime, attachment: Attachment) -> MediaContent:
    """The stored bytes of an attachment (ops' media store), or ``MediaUnavailable`` with a reason."""
    return await open_attachment(rt, attachment)


async def voice_for_browser(rt: Runtime, attachment: Attachment) -> bytes:
    """The voice note as MP3 (browsers do not play WeChat's AMR), converted once with ffmpeg and kept.

    The converted copy is a cache beside the store (``<media_dir>/converted``), keyed by attachment id.
    """
    target = Path(rt.settings.media_dir) / "converted" / f"voice-{attachment.id}.mp3"
    if target.is_file():
        return await asyncio.to_thread(target.read_bytes)
    media = await attachment_media(rt, attachment)
    if media.content_type in ("audio/mpeg", "audio/mp3"):
        return media.data
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        log.warning("ffmpeg is not installed: voice attachment %s cannot be played in a browser", attachment.id)
        raise MediaUnavailable(attachment.stored_path, "服务器未安装 ffmpeg，语音无法转换")
    proc = await asyncio.create_subprocess_exec(
        ffmpeg, "-nostdin", "-loglevel", "error", "-i", "pipe:0", "-ac", "1", "-ar", "22050",
        "-codec:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", "pipe:1",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(media.data), FFMPEG_TIMEOUT_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        log.warning("ffmpeg timed out on voice attachment %s", attachment.id)
        raise MediaUnavailable(attachment.stored_path, "语音转换超时") from None
    if proc.returncode != 0 or not out:
        log.warning("ffmpeg failed on voice attachment %s: %s", attachment.id, err.decode(errors="replace")[:300])
        raise MediaUnavailable(attachment.stored_path, "语音格式无法转换")
    await asyncio.to_thread(_keep, target, out)
    return out


def _keep(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
