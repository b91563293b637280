"""What a chat message carries, read off WeChat's fields into the plain values services take.

Services never see WeChat's field names (``MediaId``, ``Location_X``…); handlers call these.
"""

from __future__ import annotations

from bot.dispatch import Context
from bot.services.media import InboundMedia
from bot.services.report_drafts import Place, place

MEDIA_TYPES = ("image", "voice", "video", "shortvideo")


def is_media(ctx: Context) -> bool:
    return ctx.msg_type in MEDIA_TYPES


def media_of(ctx: Context) -> InboundMedia:
    """The photo / voice / video of a media message (a short video is kept as a video)."""
    f = ctx.fields
    kind = "video" if ctx.msg_type in ("video", "shortvideo") else ctx.msg_type
    return InboundMedia(kind=kind, media_id=f.get("MediaId") or None, pic_url=f.get("PicUrl") or None,
                        recognition=f.get("Recognition") or None)


def place_of(ctx: Context) -> Place:
    """A location message's place (its label, or the coordinates)."""
    f = ctx.fields
    return place(f.get("Location_X"), f.get("Location_Y"), f.get("Label"))
