"""Event handlers: subscribe / unsubscribe and the custom menu's CLICK keys.

Unsubscribing is recorded by the webhook on ``Follower`` (so nothing is pushed to people who left);
nothing is replied to it. The reception-schedule key is answered by whichever handler answers the
``接访安排`` command, so the menu and the typed command always agree.
"""

from __future__ import annotations

import dataclasses

from bot.dispatch import Context, Dispatcher, Router, click, event
from bot.menu import KEY_HELP, KEY_QUERY, KEY_RECEPTION, KEY_REPORT
from bot.services import reporting
from bot.services.reporting import Reply
from handlers.citizen import query_reply
from handlers.texts import citizen as texts
from handlers.texts import common

router = Router("events")

RECEPTION_COMMAND = "接访安排"


@router.handle(event("subscribe"), lambda ctx: not ctx.event_key.startswith("qrscene_"))
async def on_subscribe(ctx: Context) -> str | None:
    return common.WELCOME


@router.handle(event("unsubscribe"))
async def on_unsubscribe(ctx: Context) -> str | None:
    return None


@router.handle(click(KEY_REPORT))
async def on_report(ctx: Context) -> str | None:
    if ctx.extra.get("state") in reporting.FLOW_STATES:
        return texts.render(await reporting.help_now(ctx))
    return texts.render(Reply("report_prompt"))


@router.handle(click(KEY_QUERY))
async def on_query(ctx: Context) -> str | None:
    return await query_reply(as_text(ctx, "查询"))


@router.handle(click(KEY_HELP))
async def on_help(ctx: Context) -> str | None:
    return texts.render(await reporting.help_now(ctx))


@router.handle(click(KEY_RECEPTION))
async def on_reception(ctx: Context) -> str | None:
    from handlers import reception

    typed = as_text(ctx, RECEPTION_COMMAND)
    answer = await Dispatcher().include(reception.router).dispatch(typed)
    return answer or texts.render(Reply("reception_unavailable"))


def as_text(ctx: Context, content: str) -> Context:
    """The same person and unit of work, as if they had typed ``content``."""
    fields = {**ctx.fields, "MsgType": "text", "Content": content}
    extra = {k: v for k, v in ctx.extra.items() if k != "_text"}
    return dataclasses.replace(ctx, msg_type="text", fields=fields, event=None, extra=extra)


@router.handle(event("templatesendjobfinish"))
async def on_template_delivery_report(ctx: Context) -> str | None:
    """WeChat's delivery report for a template message updates its outbox row (bot.outbox_sender)."""
    from bot.outbox_sender import record_delivery

    msgid = str(ctx.fields.get("MsgID") or ctx.fields.get("MsgId") or "")
    if msgid:
        await record_delivery(ctx.session, ctx.rt, msgid, str(ctx.fields.get("Status") or ""))
    return None
