"""Citizen conversation: reporting, queries, supplements, bookings and ratings."""

from __future__ import annotations

from bot.dispatch import Context, Router, always, msg_type
from handlers.texts import common

router = Router("citizen")


@router.handle(msg_type("text", "voice"))
async def fallback_text(ctx: Context) -> str | None:
    return common.CITIZEN_HELP


@router.handle(always())
async def fallback(ctx: Context) -> str | None:
    if ctx.msg_type == "event":
        return None
    return common.UNSUPPORTED
