"""Event handlers: subscribe/unsubscribe, menu clicks, template delivery reports."""

from __future__ import annotations

from bot.dispatch import Context, Router, event
from handlers.texts import common

router = Router("events")


@router.handle(event("subscribe"))
async def on_subscribe(ctx: Context) -> str | None:
    return common.WELCOME


@router.handle(event("unsubscribe"))
async def on_unsubscribe(ctx: Context) -> str | None:
    return None
