"""The ``/wechat`` endpoint: verification GET, and POST in plaintext or safe (AES) mode.

One inbound message is one unit of work: the handler's changes, its outbox rows and the inbound-log
row (unique on MsgId / event key, carrying the reply) commit together. A retried delivery hits the
unique key and gets the stored reply; if the first delivery died before committing, the retry simply
does the work.

WeChat's URL signature covers token, timestamp and nonce but not the body, so a captured URL could
carry any body for the whole replay window. The log row also holds the query's (timestamp, nonce),
unique: a second, different body under a spent query fails that key, rolls back and gets 403; a
genuine retry repeats the message too and is recognised by its dedupe key first.

With an AES key configured only safe-mode requests are accepted (compatible mode is an explicit
setting for the switch-over), and ``绑定 <code>`` messages are logged with the code masked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot import logs
from bot.dispatch import Context, Dispatcher
from bot.runtime import Runtime
from bot.wechat import protocol
from storage.models import Person
from storage.repositories.inbound import Arrival, InboundStore, LogEntry, QuerySpent, stored_reply

log = logging.getLogger(__name__)

CUSTOM_MESSAGE_WINDOW = timedelta(hours=48)
WINDOW_EVENTS = frozenset({"subscribe", "subscribe_scan", "scan", "click", "location", "view"})
SUBSCRIPTION = {"subscribe": "subscribe", "subscribe_scan": "subscribe", "unsubscribe": "unsubscribe"}
SORRY = "抱歉，系统暂时繁忙，请稍后再发一次。您的信息不会丢失。"
BIND_COMMAND = "绑定"


class Webhook:
    def __init__(self, rt: Runtime, dispatcher: Dispatcher) -> None:
        self.rt = rt
        self.dispatcher = dispatcher

    # ---- GET: URL verification ---------------------------------------------------------------
    async def verify(self, request: web.Request) -> web.Response:
        q = request.query
        if not self._query_signed(q):
            return web.Response(status=403, text="forbidden")
        return web.Response(text=q.get("echostr", ""))

    def _query_signed(self, q: Any) -> bool:
        s = self.rt.settings
        return protocol.signature_ok((s.wechat_token, q.get("timestamp", ""), q.get("nonce", "")),
                                     q.get("signature"))

    # ---- POST: messages and events -----------------------------------------------------------
    async def receive(self, request: web.Request) -> web.Response:
        s = self.rt.settings
        q = request.query
        if request.content_length is not None and request.content_length > s.max_body_bytes:
            return web.Response(status=413, text="body too large")
        if not self._query_signed(q):
            return web.Response(status=403, text="forbidden")
        if not protocol.timestamp_fresh(q.get("timestamp"), self.rt.now().timestamp(),
                                        s.replay_window_seconds):
            return web.Response(status=403, text="stale timestamp")
        body = await self._read_limited(request, s.max_body_bytes)
        if body is None:
            return web.Response(status=413, text="body too large")

        safe = q.get("encrypt_type") == "aes"
        if s.wechat_aes_key and not safe and not s.wechat_compat_mode:
            # Safe mode means safe mode: a plaintext body would be processed and answered in clear.
            return web.Response(status=403, text="forbidden")
        try:
            query_key = protocol.replay_key(q.get("timestamp", ""), q.get("nonce", ""))
            if safe:
                keys = [k for k in (s.wechat_aes_key, s.wechat_aes_key_previous) if k]
                xml, key_index = protocol.decrypt_body(
                    body, token=s.wechat_token, timestamp=q.get("timestamp", ""), nonce=q.get("nonce", ""),
                    msg_signature=q.get("msg_signature"), aes_keys=keys, appid=s.wechat_appid)
            else:
                xml, key_index = body.decode("utf-8"), None
            inbound = protocol.parse_inbound(xml, key_index)
            inbound.query_key = query_key
        except PermissionError:
            return web.Response(status=403, text="forbidden")
        except (protocol.BadRequest, UnicodeDecodeError) as exc:
            log.info("rejected inbound body: %s", exc)
            return web.Response(status=400, text="bad request")

        try:
            reply_xml = await self.process(inbound)
        except QuerySpent:
            log.warning("refused a second body under a spent query (timestamp %s)", q.get("timestamp"))
            return web.Response(status=403, text="forbidden")
        if not reply_xml:
            return web.Response(text="success")
        if safe and inbound.key_index is not None:
            keys = [k for k in (s.wechat_aes_key, s.wechat_aes_key_previous) if k]
            reply_xml = protocol.encrypt_reply(reply_xml, token=s.wechat_token, aes_key=keys[inbound.key_index],
                                               appid=s.wechat_appid, timestamp=str(int(time.time())))
        return web.Response(text=reply_xml, content_type="application/xml")

    @staticmethod
    async def _read_limited(request: web.Request, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(16384):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    async def process(self, inbound: protocol.Inbound) -> str:
        """Run one delivery exactly once and return its reply XML ("" = answer "success")."""
        for attempt in range(5):
            try:
                return await self._process_once(inbound)
            except IntegrityError as exc:
                # Another delivery of the same message committed first: replay its reply. The query
                # spent on another message: QuerySpent (403). Any other unique key (a new
                # follower's first two pushes at once) is a race: do the work again.
                stored = await self._stored_reply(inbound)
                if stored is not None:
                    return stored
                log.warning("retrying inbound %s after %s", inbound.dedupe_key, exc.orig)
            except DBAPIError as exc:
                # SQLite "database is locked", a PostgreSQL serialisation hiccup, or a pooled
                # connection the server closed (found on use: the pool does not ping first).
                if not isinstance(exc, OperationalError) and not exc.connection_invalidated:
                    raise
                log.warning("retrying inbound %s after %s", inbound.dedupe_key, exc.orig)
            await asyncio.sleep(0.05 * (attempt + 1))
        stored = await self._stored_reply(inbound)
        if stored is None:
            # Never answer "success" for a message we did not keep: a 503 makes WeChat retry.
            raise web.HTTPServiceUnavailable(text="busy")
        return stored

    async def _stored_reply(self, inbound: protocol.Inbound) -> str | None:
        async with self.rt.sessions() as session:
            return await stored_reply(session, inbound.dedupe_key, inbound.query_key)

    async def _process_once(self, inbound: protocol.Inbound) -> str:
        """One transaction: the handler's changes, its outbox rows and the inbound-log row.

        The bookkeeping (follower, person, conversation, log) is driver SQL in the unit of work
        (``storage.unit_of_work``); a handler that uses ``ctx.session`` gets an ORM session in
        the same transaction.
        The inbound row goes in last, already carrying its reply: a concurrent delivery of the same
        message then fails on the unique key and its whole transaction rolls back, handler
        changes included (one INSERT instead of INSERT-then-UPDATE, no savepoint).
        """
        rt = self.rt
        f = inbound.fields
        openid = f["FromUserName"]
        logs.bind(openid=openid)
        now = rt.now()
        msg_type = (f.get("MsgType") or "").lower()
        event = (f.get("Event") or "").lower() or None
        failure: BaseException | None = None
        try:
            async with rt.units.begin() as unit:
                arrival = await self._arrive(unit.store, openid, msg_type, event, now)
                person = await unit.session.get(Person, arrival.person_id) if arrival.person_id else None
                conv = arrival.conversation
                ctx = Context(rt=rt, unit=unit, openid=openid, msg_type=msg_type, fields=f, person=person,
                              event=event, conversation=conv, has_reviewed_cases=arrival.has_reviewed_cases)
                try:
                    text = await self.dispatcher.dispatch(ctx)
                    # Flush the handler's own writes here: their constraint errors are bugs, not
                    # the retry guard below.
                    if unit.session_opened:
                        await unit.session.flush()
                except (OperationalError, asyncio.CancelledError):
                    raise
                except Exception as exc:
                    failure = exc
                    raise
                reply = self._render(inbound, text, now)
                await unit.store.finish(conv if conv.changed else None,
                                        self._log_entry(inbound, msg_type, event, now, reply))
            return reply
        except Exception:
            if failure is None:
                raise
        # A handler bug: log it loudly, keep the citizen's message, answer politely.
        log.error("handler failed for %s", inbound.dedupe_key, exc_info=failure)
        rt.handler_errors.append(failure)
        reply = self._render(inbound, SORRY, now)
        async with rt.units.begin() as unit:
            await self._arrive(unit.store, openid, msg_type, event, now)
            await unit.store.finish(None, self._log_entry(inbound, msg_type, event, now, reply))
        return reply

    def _render(self, inbound: protocol.Inbound, text: str | None, now: Any) -> str:
        if not text:
            return ""
        f = inbound.fields
        return protocol.render_text_reply(to_user=f["FromUserName"], from_user=f.get("ToUserName", ""),
                                          content=text, create_time=int(now.timestamp()))

    def _log_entry(self, inbound: protocol.Inbound, msg_type: str, event: str | None, now: Any,
                   reply: str) -> LogEntry:
        f = inbound.fields
        content = f.get("Content") or f.get("Recognition") or None
        if content is not None and BIND_COMMAND in content[:8]:
            content = mask_bind_code(content)
        return LogEntry(dedupe_key=inbound.dedupe_key, openid=f["FromUserName"], msg_type=msg_type, event=event,
                        content=content, received_at=now, reply_xml=reply, finished_at=self.rt.now(),
                        query_key=inbound.query_key)

    @staticmethod
    async def _arrive(store: InboundStore, openid: str, msg_type: str, event: str | None, now: Any) -> Arrival:
        # Events like TEMPLATESENDJOBFINISH are not the person talking: they do not open the
        # 48-hour window. Reopening it releases messages parked as "waiting" (no template).
        return await store.arrive(openid, now, opens_window=msg_type != "event" or event in WINDOW_EVENTS,
                                  subscription=SUBSCRIPTION.get(event or "", ""), window=CUSTOM_MESSAGE_WINDOW)


def mask_bind_code(content: str) -> str:
    """``绑定 AB12CD34`` as the log keeps it: the command word, every character after it masked.

    A one-time code is a credential until used; the log is read by more people than the code's
    holder. Other text is left as typed.
    """
    head, sep, rest = content.partition(BIND_COMMAND)
    if not sep or head.strip():
        return content
    return head + sep + "".join(c if c.isspace() else "*" for c in rest)
