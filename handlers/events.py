"""Event handlers: subscribe / unsubscribe, the custom menu's CLICK keys, delivery reports.

Unsubscribing is recorded by the webhook on ``Follower`` (so nothing is pushed to people who left);
nothing is replied to it. Each menu key is answered by the handler of the command it stands for
(查询, 帮助, 接访安排), so the menu and the typed command always agree.
"""

from __future__ import annotations

from bot.dispatch import Context, Router, click, event
from bot.menu import KEY_HELP, KEY_QUERY, KEY_RECEPTION, KEY_REPORT
from bot.services import delivery_reports
from handlers import reception
from handlers.citizen import query_reply
from handlers.flows import report
from handlers.texts import citizen as texts
from handlers.texts import common
from handlers.texts.citizen import Reply

router = Router("events")


def _unscened(ctx: Context) -> bool:
    return not ctx.event_key.startswith("qrscene_")


@router.handle(event("subscribe"), _unscened)
async def on_subscribe(ctx: Context) -> str | None:
    return common.WELCOME


@router.handle(event("unsubscribe"))
async def on_unsubscribe(ctx: Context) -> str | None:
    return None


@router.handle(click(KEY_REPORT))
async def on_report(ctx: Context) -> str | None:
    if ctx.state in report.FLOW:
        return texts.render(report.help_reply(ctx))
    return texts.render(Reply("report_prompt"))


@router.handle(click(KEY_QUERY))
async def on_query(ctx: Context) -> str | None:
    return await query_reply(ctx, [])


@router.handle(click(KEY_HELP))
async def on_help(ctx: Context) -> str | None:
    return texts.render(report.help_reply(ctx))


@router.handle(click(KEY_RECEPTION))
async def on_reception(ctx: Context) -> str | None:
    return await reception.schedule(ctx) or texts.render(Reply("reception_unavailable"))


@router.handle(event("templatesendjobfinish"))
async def on_template_delivery_report(ctx: Context) -> str | None:
    """WeChat's delivery report for a template message updates its outbox row."""
    msgid = str(ctx.fields.get("MsgID") or ctx.fields.get("MsgId") or "")
    if msgid:
        await delivery_reports.record_delivery(ctx.session, ctx.rt, msgid, str(ctx.fields.get("Status") or ""))
    return None
