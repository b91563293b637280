"""The outbox sender: delivers queued messages to WeChat, exactly once, and never drops one.

One pass (``send_due``) claims due rows in a short transaction — ``SELECT … FOR UPDATE SKIP LOCKED``
on PostgreSQL, so several sender processes split the work and never take the same row; SQLite's
single writer lock does the same for one machine — marks them ``sending`` with a lease, then calls
WeChat outside any transaction and records the outcome.

Channel choice (§6): a customer-service message while the person's 48-hour window is open and the
per-inbound allowance (5) is not used up; otherwise a template message with the template id
configured for the message kind. Without one the message waits (``waiting``, with the reason) and
goes out as a customer-service message as soon as the person writes again. Outcomes:
- system busy (-1), network errors, token errors the client could not fix: retried with
  exponential backoff, ``failed`` after ``MAX_ATTEMPTS`` with the last error kept;
- 45015 / 45047 (window closed, allowance used): fall back to the template in the same pass;
- 43004 (not subscribed): ``failed`` with the reason; the follower is marked unsubscribed;
- anything else: ``failed`` with WeChat's code and message.
The claim is fenced: right before each send the sender renews its lease on that row only if it
still holds it (owner and unexpired lease, one UPDATE), and while a batch runs a heartbeat renews
the leases of the rows still waiting in it, so a slow WeChat API never lets a second sender take
over a row this one is about to send or is sending. A row whose sender died mid-send is taken again
when its lease runs out (at-least-once in that rare case; exactly-once otherwise). ``TEMPLATESENDJOBFINISH`` reports land in
``bot.services.delivery_reports``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.runtime import Runtime
from storage.models import Follower, OutboxMessage
from storage.repositories.outbox import renew_leases

log = logging.getLogger(__name__)

CUSTOM_WINDOW = timedelta(hours=48)
CUSTOM_PER_INBOUND = 5
# Default lease (settings.outbox_lease_seconds); renewed every third of it while a batch runs.
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
QUOTA_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 12
# How often a waiting message checks whether the person's window has opened again.
WAITING_RECHECK = timedelta(minutes=5)
IDLE_POLL_SECONDS = 1.0

# WeChat codes the sender decides on (the API client already retried busy/token errors briefly).
BUSY = -1
NETWORK = -100
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
OUT_OF_WINDOW = 45015
ALLOWANCE_USED = 45047
QUOTA = 45009
UNSUBSCRIBED = 43004

REASON_NO_TEMPLATE = ("不在48小时客服消息窗口内，且未配置消息类型“{kind}”的模板ID（template_ids）；"
                      "对方再次发来消息后将自动以客服消息发送")
REASON_UNSUBSCRIBED = "对方未关注或已取消关注公众号（43004），无法发送"
REASON_GAVE_UP = "重试{attempts}次仍失败：{error}"


def default_worker_name() -> str:
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour."""
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class _Claimed:
    id: int
    openid: str
    kind: str
    text: str
    fields: dict[str, Any]
    attempts: int
    was_waiting: bool


def lease_of(rt: Runtime) -> timedelta:
    return timedelta(seconds=rt.settings.outbox_lease_seconds)


async def claim(rt: Runtime, limit: int, worker: str) -> list[_Claimed]:
    """Take up to ``limit`` due rows for this worker (status ``sending`` with a lease)."""
    now = rt.now()
    lease = lease_of(rt)
    async with rt.sessions() as session, session.begin():
        due = and_(OutboxMessage.next_attempt_at <= now,
                   OutboxMessage.status.in_(("pending", "waiting", "sending")))
        rows = list(await session.scalars(
            select(OutboxMessage).where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
            .with_for_update(skip_locked=True)))
        claimed = []
        for row in rows:
            claimed.append(_Claimed(row.id, row.openid, row.kind, row.text, dict(row.fields or {}),
                                    row.attempts, row.status == "waiting"))
            row.status = "sending"
            row.claimed_by = worker
            row.next_attempt_at = now + lease
        return claimed


async def send_due(rt: Runtime, limit: int = 100, *, worker: str | None = None) -> int:
    """One pass: claim due messages and try each once. Returns how many it handled."""
    if rt.api is None:
        return 0
    worker = worker or default_worker_name()
    claimed = await claim(rt, limit, worker)
    if not claimed:
        return 0
    held = {m.id for m in claimed}
    heartbeat = asyncio.create_task(_keep_leases(rt, worker, held), name="outbox-lease")
    try:
        for message in claimed:
            if not await _renew(rt, worker, [message.id]):
                # The lease ran out and another sender may have the row now: it is theirs to send.
                log.warning("outbox message %s: claim lost before sending, left to its new owner", message.id)
                held.discard(message.id)
                continue
            try:
                await _deliver(rt, message, worker)
            except Exception as exc:  # a bug, not WeChat: keep the message, back off, say why
                log.exception("outbox message %s: unexpected error", message.id)
                await _finish(rt, message.id, worker, status="pending", attempts=message.attempts + 1,
                              error=f"内部错误：{type(exc).__name__}: {exc}"[:500],
                              next_at=rt.now() + backoff(message.attempts + 1))
            held.discard(message.id)
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
    return len(claimed)


async def _renew(rt: Runtime, worker: str, ids: Iterable[int]) -> int:
    """Renew this worker's unexpired leases on ``ids``; how many it still held."""
    now = rt.now()
    async with rt.sessions() as session, session.begin():
        return await renew_leases(session, ids, worker=worker, now=now, until=now + lease_of(rt))


async def _keep_leases(rt: Runtime, worker: str, held: set[int]) -> None:
    """While a batch runs, renew the leases of its rows not yet finished (including the one in flight)."""
    interval = lease_of(rt).total_seconds() / 3
    while True:
        await asyncio.sleep(interval)
        try:
            await _renew(rt, worker, list(held))
        except Exception:  # the database briefly away: the pre-send check still fences each row
            log.exception("outbox lease renewal failed")


async def _follower(rt: Runtime, openid: str) -> Follower | None:
    async with rt.sessions() as session:
        return await session.get(Follower, openid)


def _in_window(rt: Runtime, follower: Follower | None) -> bool:
    if follower is None or follower.last_inbound_at is None:
        return False
    if rt.now() - follower.last_inbound_at >= CUSTOM_WINDOW:
        return False
    return (follower.custom_sent_since_inbound or 0) < CUSTOM_PER_INBOUND


async def _deliver(rt: Runtime, message: _Claimed, worker: str) -> None:
    from bot.wechat.api import WeChatAPIError

    follower = await _follower(rt, message.openid)
    if follower is not None and not follower.subscribed:
        await _finish(rt, message.id, worker, status="failed", error=REASON_UNSUBSCRIBED)
        return
    attempts = message.attempts
    if _in_window(rt, follower):
        attempts += 1
        try:
            await rt.api.send_custom_text(message.openid, message.text)
        except WeChatAPIError as exc:
            metrics.send_failed(exc.errcode)
            if exc.errcode in (OUT_OF_WINDOW, ALLOWANCE_USED):
                # WeChat knows better than our bookkeeping: no more customer-service messages
                # to this person until they write again.
                await _use_up_allowance(rt, message.openid)
            elif await _handled_error(rt, message, worker, exc, attempts):
                return
        else:
            await _finish(rt, message.id, worker, status="sent", channel="custom", attempts=attempts)
            await _count_custom(rt, message.openid)
            return
    template_id = rt.settings.template_ids.get(message.kind) or rt.settings.template_ids.get("default")
    if not template_id:
        await _finish(rt, message.id, worker, status="waiting", attempts=attempts,
                      error=REASON_NO_TEMPLATE.format(kind=message.kind), next_at=rt.now() + WAITING_RECHECK)
        return
    attempts += 1
    try:
        msgid = await rt.api.send_template(message.openid, template_id, _template_data(message))
    except WeChatAPIError as exc:
        metrics.send_failed(exc.errcode)
        await _handled_error(rt, message, worker, exc, attempts)
        return
    await _finish(rt, message.id, worker, status="sent", channel="template", attempts=attempts, msgid=msgid)


def _template_data(message: _Claimed) -> dict[str, str]:
    # WeChat no longer shows `first`/`remark`: the essentials go into keyword fields.
    data = {str(k): str(v) for k, v in message.fields.items() if v is not None}
    data.setdefault("content", message.text[:200])
    return data


async def _handled_error(rt: Runtime, message: _Claimed, worker: str, exc: Any, attempts: int) -> bool:
    """Record a WeChat error's consequence; always True (the message's state is settled)."""
    code = int(exc.errcode)
    error = f"{code} {exc.errmsg}"[:500]
    now = rt.now()
    if code == UNSUBSCRIBED:
        await _mark_unsubscribed(rt, message.openid)
        await _finish(rt, message.id, worker, status="failed", attempts=attempts,
                      error=f"{REASON_UNSUBSCRIBED}（{error}）")
    elif code in (BUSY, NETWORK) or code in TOKEN_ERRORS or code == QUOTA:
        if attempts >= MAX_ATTEMPTS:
            await _finish(rt, message.id, worker, status="failed", attempts=attempts,
                          error=REASON_GAVE_UP.format(attempts=attempts, error=error))
        else:
            delay = QUOTA_BACKOFF if code == QUOTA else backoff(attempts)
            await _finish(rt, message.id, worker, status="pending", attempts=attempts, error=error,
                          next_at=now + delay)
    else:
        await _finish(rt, message.id, worker, status="failed", attempts=attempts, error=error)
    return True


async def _finish(rt: Runtime, message_id: int, worker: str, *, status: str, attempts: int | None = None,
                  error: str | None = None, channel: str | None = None, msgid: str | None = None,
                  next_at: datetime | None = None) -> None:
    now = rt.now()
    values: dict[str, Any] = {"status": status, "last_error": error}
    if attempts is not None:
        values["attempts"] = attempts
    if status == "sent":
        values.update(sent_at=now, channel=channel, wechat_msgid=msgid, last_error=None)
    values["next_attempt_at"] = next_at or now
    async with rt.sessions() as session, session.begin():
        # Only while we still hold the claim: a lease that ran out may have passed to another sender.
        await session.execute(update(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker,
            OutboxMessage.status == "sending").values(**values))


async def _count_custom(rt: Runtime, openid: str) -> None:
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Follower).where(Follower.openid == openid).values(
            custom_sent_since_inbound=Follower.custom_sent_since_inbound + 1))


async def _use_up_allowance(rt: Runtime, openid: str) -> None:
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Follower).where(Follower.openid == openid).values(
            custom_sent_since_inbound=CUSTOM_PER_INBOUND))


async def _mark_unsubscribed(rt: Runtime, openid: str) -> None:
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Follower).where(Follower.openid == openid).values(subscribed=False))


# ---- the operator's view ------------------------------------------------------------------------

PROBLEM_STATUSES = ("failed", "waiting")


async def problem_messages(session: AsyncSession, limit: int = 200) -> list[OutboxMessage]:
    """Failed and waiting messages, newest first, for ``xinfang outbox``."""
    return list(await session.scalars(
        select(OutboxMessage).where(OutboxMessage.status.in_(PROBLEM_STATUSES))
        .order_by(OutboxMessage.id.desc()).limit(limit)))


async def retry(session: AsyncSession, rt: Runtime, ids: Iterable[int] | None = None) -> int:
    """Queue failed/waiting messages again now (all of them when ``ids`` is None)."""
    condition: Any = OutboxMessage.status.in_(PROBLEM_STATUSES)
    if ids is not None:
        condition = and_(condition, OutboxMessage.id.in_(list(ids)))
    result = await session.execute(update(OutboxMessage).where(condition).values(
        status="pending", attempts=0, next_attempt_at=rt.now()))
    return int(getattr(result, "rowcount", 0) or 0)


# ---- the loop ------------------------------------------------------------------------------------

Stop = Callable[[], Awaitable[None]]


async def start_sender(rt: Runtime, *, idle_seconds: float = IDLE_POLL_SECONDS, limit: int = 100) -> Stop:
    """Run ``send_due`` until stopped; sleeps only when there was nothing to send."""
    stopping = asyncio.Event()
    worker = default_worker_name()

    async def loop() -> None:
        while not stopping.is_set():
            try:
                handled = await send_due(rt, limit, worker=worker)
            except Exception:  # e.g. the database is briefly away: log, wait, carry on
                log.exception("outbox pass failed")
                handled = 0
            if handled:
                continue
            try:
                await asyncio.wait_for(stopping.wait(), timeout=idle_seconds)
            except TimeoutError:
                pass

    task = asyncio.create_task(loop(), name="outbox-sender")

    async def stop() -> None:
        stopping.set()
        await task

    return stop


__all__ = ["backoff", "claim", "problem_messages", "retry", "send_due", "start_sender"]
