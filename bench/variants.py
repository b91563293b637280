"""Run ``bot.cli`` with proposed changes patched in, to measure them before anyone edits the real files.

``BENCH_VARIANTS=name,name python bench/variants.py serve --only webhook ...`` (bench/run.py and
bench/profile.py pass ``--variant``). Each patch here mirrors a change proposed for a file that
another engineer owns; the README section "性能基准" gives the numbers with and without.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def sqlite_pool1() -> None:
    """SQLite: one pooled connection per process, so writers queue in asyncio instead of in SQLite's
    busy handler (which sleeps 1..100 ms between retries while another connection holds the lock)."""
    import storage.engine as engine

    original = engine.make_engine

    def make_engine(url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        if url.startswith("sqlite"):
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 60)
        return original(url, **kwargs)

    engine.make_engine = make_engine
    import bot.app

    bot.app.make_engine = make_engine


def no_access_log() -> None:
    """aiohttp's access log (one formatted INFO line per request) off in ``serve``."""
    from aiohttp import web

    original = web.run_app

    def run_app(app: Any, **kwargs: Any) -> Any:
        kwargs["access_log"] = None
        return original(app, **kwargs)

    web.run_app = run_app


def sqlite_write_lock() -> None:
    """SQLite: one asyncio.Lock per process around the webhook's unit of work, so BEGIN IMMEDIATE
    never finds the database locked by a sibling connection of the same process (and never sleeps)."""
    import asyncio

    import bot.webhook as webhook

    original = webhook.Webhook._process_once
    lock = asyncio.Lock()

    async def _process_once(self: Any, inbound: Any) -> str:
        if not self.rt.settings.database_url.startswith("sqlite"):
            return await original(self, inbound)
        async with lock:
            return await original(self, inbound)

    webhook.Webhook._process_once = _process_once


def lean_uow() -> None:
    """Fewer database round trips per message in ``bot/webhook.py`` and ``bot/services/conversation.py``:

    - the inbound-log row is INSERTed once, at the end, with its reply (was: INSERT + flush first,
      UPDATE at the end); a retry still hits the unique key, now at commit, and the whole
      transaction (handler changes included) rolls back exactly as before;
    - no SAVEPOINT around the handler: on a handler exception the transaction is rolled back and
      a second, tiny one stores the inbound row with the apology (exceptions are bugs, so rare);
    - ``conversation.load`` trusts the webhook's lookup, also when it found no row (was: a second
      SELECT for every citizen without a conversation row).
    """
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    import bot.services.conversation as conversation
    import bot.webhook as webhook
    from bot.dispatch import Context
    from bot.wechat import protocol
    from storage.models import Conversation, InboundMessage, Person

    async def load(ctx: Any) -> Any:
        if "conversation" in ctx.extra and ctx.extra["conversation"] is not None:
            return ctx.extra["conversation"]
        conv = None if "conversation" in ctx.extra else await ctx.session.get(Conversation, ctx.openid)
        if conv is None:
            conv = Conversation(openid=ctx.openid, state=conversation.IDLE, data={}, last_list=[],
                                updated_at=ctx.rt.now())
            ctx.session.add(conv)
        ctx.extra["conversation"] = conv
        return conv

    conversation.load = load

    def row_for(inbound: Any, openid: str, msg_type: str, event: Any, now: Any) -> Any:
        f = inbound.fields
        return InboundMessage(dedupe_key=inbound.dedupe_key, openid=openid, msg_type=msg_type, event=event,
                              content=(f.get("Content") or f.get("Recognition") or None), received_at=now,
                              status="done")

    async def _process_once(self: Any, inbound: Any) -> str:
        rt = self.rt
        f = inbound.fields
        openid = f["FromUserName"]
        now = rt.now()
        msg_type = (f.get("MsgType") or "").lower()
        event = (f.get("Event") or "").lower() or None

        def render(text: str | None) -> str:
            if not text:
                return ""
            return protocol.render_text_reply(to_user=openid, from_user=f.get("ToUserName", ""), content=text,
                                              create_time=int(now.timestamp()))

        async with rt.sessions() as session:
            failure: Exception | None = None
            try:
                async with session.begin():
                    await self._touch_follower(session, openid, msg_type, event, now)
                    person = await session.scalar(select(Person).where(Person.openid == openid, Person.active))
                    conv = await session.get(Conversation, openid)
                    ctx = Context(rt=rt, session=session, openid=openid, msg_type=msg_type, fields=f,
                                  message=inbound.message, person=person, event=event,
                                  extra={"state": conv.state if conv else "idle", "conversation": conv})
                    try:
                        reply = render(await self.dispatcher.dispatch(ctx))
                        await session.flush()  # the handler's own constraint errors are bugs, not retries
                    except IntegrityError as exc:
                        failure = exc
                        raise
                    row = row_for(inbound, openid, msg_type, event, now)
                    row.reply_xml = reply
                    row.finished_at = rt.now()
                    session.add(row)
                return reply
            except IntegrityError:
                if failure is None:
                    raise  # the inbound key: another delivery of this message committed first
            except Exception as exc:  # a handler bug, as in the original: log, keep the message, apologise
                if isinstance(exc, webhook.OperationalError):
                    raise
                failure = exc
            webhook.log.error("handler failed for %s: %r", inbound.dedupe_key, failure)
            rt.handler_errors.append(failure)
        async with rt.sessions() as session, session.begin():
            await self._touch_follower(session, openid, msg_type, event, now)
            row = row_for(inbound, openid, msg_type, event, now)
            row.reply_xml = render(webhook.SORRY)
            row.finished_at = rt.now()
            session.add(row)
        return row.reply_xml

    webhook.Webhook._process_once = _process_once


def switch_interval() -> None:
    """GIL switch interval 0.5 ms (default 5 ms) in the serving process: an aiosqlite worker thread
    whose query has finished needs the GIL to hand the result back, and while the event loop thread
    is busy with other requests it waits up to the whole interval, on every statement, with the
    SQLite write lock held."""
    sys.setswitchinterval(0.0005)


PATCHES = {"switch_interval": switch_interval, "lean_uow": lean_uow, "sqlite_write_lock": sqlite_write_lock, "sqlite_pool1": sqlite_pool1, "no_access_log": no_access_log}


def main() -> None:
    for name in filter(None, os.environ.get("BENCH_VARIANTS", "").split(",")):
        PATCHES[name]()
    from bot.cli import main as cli

    cli(prog_name="xinfang")


if __name__ == "__main__":
    main()
