"""What is kept how long: raw inbound bodies reduced to metadata, spent query keys swept.

* ``reduce_inbound``: an inbound-log row older than ``inbound_retention_days`` (default 180) keeps
  its metadata (who, when, which kind of message, its dedupe key) and loses its text and the
  passive reply (``status`` becomes "reduced"). The same day the text of a draft nobody filed goes
  too: a report left unfinished in the conversation that long is dropped, and the draft reminders
  that quoted it lose their text. (A draft cancelled with 取消 is gone from the conversation at
  once; its messages go with the inbound rows.) Cases and their events are the record: kept.
* ``sweep_replay_keys``: a query's (timestamp, nonce) only matters while the timestamp can pass
  the replay window; after twice that (clock skew between workers) the key is cleared, so the
  unique index holds minutes of traffic, not months. Keys sort by timestamp: the sweep is a range
  scan on that index.

Both take their time from ``rt.now()`` (a FakeClock in tests) and work in small batches, each its
own transaction, so the webhook's writes interleave on SQLite.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.jobs.job import Job
from bot.runtime import Runtime
from bot.services.report_drafts import DraftStage, ReportDraft, discard
from bot.wechat import protocol
from storage.models import Conversation, InboundMessage, OutboxMessage

BATCH = 500
REDUCED = "reduced"
# Outbox kinds whose text quotes a draft (not the record of a case).
DRAFT_KINDS = ("draft_reminder",)


def retention_cutoff(rt: Runtime) -> object:
    return rt.now() - timedelta(days=rt.settings.inbound_retention_days)


async def reduce_inbound(rt: Runtime) -> int:
    """Reduce inbound rows past the retention period to metadata; returns how many rows changed.

    Usually there is nothing or less than a batch to do: then it is one transaction, drafts included.
    """
    cutoff = retention_cutoff(rt)
    total = 0
    after = None
    while True:
        async with rt.sessions() as session, session.begin():
            stmt = (select(InboundMessage.id, InboundMessage.received_at)
                    .where(InboundMessage.received_at < cutoff, InboundMessage.status != REDUCED)
                    .order_by(InboundMessage.received_at).limit(BATCH))
            if after is not None:
                stmt = stmt.where(InboundMessage.received_at >= after)
            rows = (await session.execute(stmt)).all()
            if rows:
                await session.execute(update(InboundMessage).where(InboundMessage.id.in_([r[0] for r in rows]))
                                      .values(content=None, reply_xml=None, status=REDUCED))
            total += len(rows)
            if len(rows) < BATCH:
                return total + await _drop_old_drafts(session, rt, cutoff)
        after = rows[-1][1]


async def _drop_old_drafts(session: AsyncSession, rt: Runtime, cutoff: object) -> int:
    stale = list(await session.scalars(select(Conversation).where(
        Conversation.state.in_([str(s) for s in DraftStage]), Conversation.updated_at < cutoff)))
    for conv in stale:
        # As 取消 would: the draft's media go too (files once this commits).
        await discard(session, rt, conv.openid, ReportDraft.from_dict(conv.data))
        conv.state, conv.data, conv.updated_at = "idle", {}, rt.now()
    quoted = await session.execute(
        update(OutboxMessage).where(OutboxMessage.kind.in_(DRAFT_KINDS), OutboxMessage.created_at < cutoff,
                                    OutboxMessage.status.in_(("sent", "failed")), OutboxMessage.text != "")
        .values(text="", fields={}))
    return len(stale) + int(getattr(quoted, "rowcount", 0) or 0)


async def sweep_replay_keys(rt: Runtime) -> int:
    """Clear query keys whose timestamp is past any replay window; returns how many."""
    window = rt.settings.replay_window_seconds
    cutoff = protocol.replay_key_cutoff(rt.now().timestamp() - 2 * window)
    async with rt.sessions() as session, session.begin():
        result = await session.execute(update(InboundMessage).where(InboundMessage.query_key < cutoff)
                                       .values(query_key=None))
    return int(getattr(result, "rowcount", 0) or 0)


# What the scheduler runs from this module, and how often it looks (bot.jobs.scheduler).
JOBS = (
    Job("replay_key_sweep", sweep_replay_keys, timedelta(minutes=5)),
    Job("inbound_retention", reduce_inbound, timedelta(hours=6)),
)
