"""The statements every inbound message runs, in driver SQL: follower, person, conversation, log.

A citizen's message that starts a report touches four tables and nothing else. Through the ORM those
few statements cost some 2 ms of Python per message; written once here as plain SQL they cost tens
of microseconds (``bench/``). The rows stay ordinary model rows: ``Follower``, ``Conversation`` and
``InboundMessage`` read them back, and the storage formats below are the ones SQLAlchemy uses
(SQLite: naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` text, JSON text; PostgreSQL: timestamptz, json).

The store works on the unit of work's connection and transaction (``storage.unit_of_work``), so
these writes commit or roll back with whatever the handler did through the ORM. On SQLite it calls
the ``sqlite3`` connection under ``storage.sqlite_inline`` directly; on PostgreSQL it folds the
statements into three round trips (touch, read, finish).

Arrival takes the follower row first: that row's lock is what makes two messages from one person,
arriving together at two workers, run one after the other (the conversation is read after it).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

IDLE = "idle"


@dataclass
class ConversationState:
    """One openid's conversation (FSM) record: read at arrival, written back if a handler changed it."""

    openid: str
    state: str = IDLE
    data: dict[str, Any] = field(default_factory=dict)
    last_list: list[Any] = field(default_factory=list)
    updated_at: datetime | None = None
    changed: bool = False


@dataclass(frozen=True)
class Arrival:
    """What the webhook learns while recording that a message arrived."""

    person_id: int | None  # an active bound officer, or None for a citizen
    conversation: ConversationState
    window_was_closed: bool  # the 48-hour customer-service window had closed (or never opened)
    # The sender has a case that went to 复查/复核: only then can a new report repeat facts already
    # finally decided (``bot.services.reviews.finally_decided``), so only then is that looked up.
    has_reviewed_cases: bool = True


@dataclass(frozen=True)
class LogEntry:
    dedupe_key: str
    openid: str
    msg_type: str
    event: str | None
    content: str | None
    received_at: datetime
    reply_xml: str
    finished_at: datetime
    query_key: str | None = None  # the signed query's (timestamp, nonce): unique, spent once


class InboundStore:
    """Per-message bookkeeping on one unit of work's connection; see the module docstring."""

    @staticmethod
    def for_postgres(conn: AsyncConnection) -> InboundStore:
        """The store on a connection whose transaction the caller began."""
        return _PostgresStore(conn)

    @staticmethod
    def for_sqlite(db: sqlite3.Connection) -> InboundStore:
        """The store on a driver connection whose transaction the caller began."""
        return _SQLiteStore(db)

    async def arrive(self, openid: str, now: datetime, *, opens_window: bool, subscription: str,
                     window: Any) -> Arrival:
        """Touch the follower row (``subscription`` is "subscribe", "unsubscribe" or ""), release
        outbox rows parked as "waiting" when the window reopens, and read person and conversation."""
        raise NotImplementedError

    async def finish(self, conv: ConversationState | None, entry: LogEntry) -> None:
        """Write the conversation back (if given) and insert the inbound-log row; a duplicate
        delivery raises ``IntegrityError``."""
        raise NotImplementedError


class QuerySpent(Exception):
    """The signed query already carried another message: a replayed URL with a new body."""


async def stored_reply(session: AsyncSession, dedupe_key: str, query_key: str | None = None) -> str | None:
    """The reply stored for a delivery already handled, or None if it never committed.

    Raises ``QuerySpent`` when ``query_key`` belongs to a row of another message: a genuine retry
    repeats the query *and* the message, so only a different body under a seen query lands here.
    """
    conn = await session.connection()
    sqlite = conn.dialect.name == "sqlite"
    sql = "SELECT dedupe_key, reply_xml FROM inbound_messages WHERE dedupe_key = " + ("?1" if sqlite else "$1")
    params: tuple[str, ...] = (dedupe_key,)
    if query_key is not None:
        sql += " OR query_key = " + ("?2" if sqlite else "$2")
        params += (query_key,)
    reply = None
    for key, reply_xml in (await conn.exec_driver_sql(sql, params)).all():
        if key != dedupe_key:
            raise QuerySpent(query_key)
        reply = reply_xml or ""
    return reply


# ---- SQLite -------------------------------------------------------------------------------------

def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


_SQLITE_TOUCH = """
INSERT INTO followers (openid, subscribed, subscribed_at, unsubscribed_at, last_inbound_at,
                       custom_sent_since_inbound)
VALUES (?1, ?3 != 'unsubscribe', ?2, CASE WHEN ?3 = 'unsubscribe' THEN ?2 END, CASE WHEN ?4 THEN ?2 END, 0)
ON CONFLICT (openid) DO UPDATE SET
  subscribed = CASE ?3 WHEN 'subscribe' THEN 1 WHEN 'unsubscribe' THEN 0 ELSE subscribed END,
  subscribed_at = CASE WHEN ?3 = 'subscribe' THEN ?2 ELSE subscribed_at END,
  unsubscribed_at = CASE WHEN ?3 = 'unsubscribe' THEN ?2 ELSE unsubscribed_at END,
  last_inbound_at = CASE WHEN ?4 THEN ?2 ELSE last_inbound_at END,
  custom_sent_since_inbound = CASE WHEN ?4 THEN 0 ELSE custom_sent_since_inbound END
"""
_SQLITE_RELEASE = ("UPDATE outbox SET status = 'pending', next_attempt_at = ? "
                   "WHERE openid = ? AND status = 'waiting'")
_SQLITE_LOG = ("INSERT INTO inbound_messages (dedupe_key, openid, msg_type, event, content, received_at, "
               "status, reply_xml, finished_at, query_key) VALUES (?, ?, ?, ?, ?, ?, 'done', ?, ?, ?)")
_SQLITE_READ = """
SELECT (SELECT id FROM people WHERE openid = ?1 AND active), c.state, c.data, c.last_list, c.updated_at,
       EXISTS (SELECT 1 FROM cases WHERE citizen_openid = ?1 AND review_level > 0)
FROM (SELECT 1) AS one LEFT JOIN conversations AS c ON c.openid = ?1
"""
_SQLITE_SAVE = """
INSERT INTO conversations (openid, state, data, updated_at, last_list) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (openid) DO UPDATE SET state = ?2, data = ?3, updated_at = ?4, last_list = ?5
"""


class _SQLiteStore(InboundStore):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    async def arrive(self, openid: str, now: datetime, *, opens_window: bool, subscription: str,
                     window: Any) -> Arrival:
        db = self.db
        stamp = _sqlite_time(now)
        row = db.execute("SELECT last_inbound_at FROM followers WHERE openid = ?", (openid,)).fetchone()
        last = _sqlite_parse(row[0]) if row is not None else None
        db.execute(_SQLITE_TOUCH, (openid, stamp, subscription, opens_window))
        closed = last is None or now - last > window
        if opens_window and closed:
            db.execute(_SQLITE_RELEASE, (stamp, openid))
        person_id, state, data, last_list, updated_at, reviewed = db.execute(_SQLITE_READ, (openid,)).fetchone()
        conv = ConversationState(openid) if state is None else ConversationState(
            openid, state, json.loads(data) if data else {}, json.loads(last_list) if last_list else [],
            _sqlite_parse(updated_at))
        return Arrival(person_id, conv, closed, bool(reviewed))

    async def finish(self, conv: ConversationState | None, entry: LogEntry) -> None:
        if conv is not None:
            self.db.execute(_SQLITE_SAVE, (conv.openid, conv.state, json.dumps(conv.data),
                                           _sqlite_time(conv.updated_at or entry.received_at),
                                           json.dumps(conv.last_list)))
        params = (entry.dedupe_key, entry.openid, entry.msg_type, entry.event, entry.content,
                  _sqlite_time(entry.received_at), entry.reply_xml, _sqlite_time(entry.finished_at),
                  entry.query_key)
        try:
            self.db.execute(_SQLITE_LOG, params)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(_SQLITE_LOG, params, exc) from exc


# ---- PostgreSQL ---------------------------------------------------------------------------------

_PG_TOUCH = """
WITH before AS (SELECT last_inbound_at FROM followers WHERE openid = $1),
touched AS (
  INSERT INTO followers AS f (openid, subscribed, subscribed_at, unsubscribed_at, last_inbound_at,
                              custom_sent_since_inbound)
  VALUES ($1, $3 <> 'unsubscribe', $2, CASE WHEN $3 = 'unsubscribe' THEN $2::timestamptz END,
          CASE WHEN $4 THEN $2::timestamptz END, 0)
  ON CONFLICT (openid) DO UPDATE SET
    subscribed = CASE $3 WHEN 'subscribe' THEN true WHEN 'unsubscribe' THEN false ELSE f.subscribed END,
    subscribed_at = CASE WHEN $3 = 'subscribe' THEN $2 ELSE f.subscribed_at END,
    unsubscribed_at = CASE WHEN $3 = 'unsubscribe' THEN $2 ELSE f.unsubscribed_at END,
    last_inbound_at = CASE WHEN $4 THEN $2 ELSE f.last_inbound_at END,
    custom_sent_since_inbound = CASE WHEN $4 THEN 0 ELSE f.custom_sent_since_inbound END
  RETURNING 1
),
released AS (
  UPDATE outbox SET status = 'pending', next_attempt_at = $2
  WHERE $4 AND openid = $1 AND status = 'waiting'
    AND coalesce((SELECT last_inbound_at FROM before) < $2::timestamptz - $5::interval, true)
  RETURNING 1
)
SELECT (SELECT last_inbound_at FROM before), (SELECT count(*) FROM touched) + (SELECT count(*) FROM released)
"""
# A separate statement, so its snapshot is taken after the follower row's lock is held: two
# messages from one person at once run one after the other, the second seeing the first's state.
_PG_READ = """
SELECT (SELECT id FROM people WHERE openid = $1 AND active), c.state, c.data, c.last_list, c.updated_at,
       EXISTS (SELECT 1 FROM cases WHERE citizen_openid = $1 AND review_level > 0)
FROM (SELECT 1) AS one LEFT JOIN conversations AS c ON c.openid = $1
"""
_PG_LOG = ("INSERT INTO inbound_messages (dedupe_key, openid, msg_type, event, content, received_at, "
           "status, reply_xml, finished_at, query_key) VALUES ($1, $2, $3, $4, $5, $6, 'done', $7, $8, $9)")
# The conversation and the log row in one round trip. The log row's unique keys fail the whole
# statement, conversation included, so a duplicate delivery (or a spent query) changes nothing.
_PG_SAVE_AND_LOG = """
WITH saved AS (
  INSERT INTO conversations (openid, state, data, updated_at, last_list) VALUES ($2, $10, $11, $12, $13)
  ON CONFLICT (openid) DO UPDATE SET state = $10, data = $11, updated_at = $12, last_list = $13
  RETURNING 1
)
INSERT INTO inbound_messages (dedupe_key, openid, msg_type, event, content, received_at, status, reply_xml,
                              finished_at, query_key)
SELECT $1, $2, $3, $4, $5, $6, 'done', $7, $8, $9 FROM saved
"""


class _PostgresStore(InboundStore):
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def arrive(self, openid: str, now: datetime, *, opens_window: bool, subscription: str,
                     window: Any) -> Arrival:
        last, _ = (await self.conn.exec_driver_sql(
            _PG_TOUCH, (openid, now, subscription, opens_window, window))).one()
        person_id, state, data, last_list, updated_at, reviewed = (await self.conn.exec_driver_sql(
            _PG_READ, (openid,))).one()
        conv = ConversationState(openid) if state is None else ConversationState(
            openid, state, data or {}, last_list or [], updated_at)
        return Arrival(person_id, conv, last is None or now - last > window, bool(reviewed))

    async def finish(self, conv: ConversationState | None, entry: LogEntry) -> None:
        params: tuple[Any, ...] = (entry.dedupe_key, entry.openid, entry.msg_type, entry.event, entry.content,
                                   entry.received_at, entry.reply_xml, entry.finished_at, entry.query_key)
        if conv is None:
            await self.conn.exec_driver_sql(_PG_LOG, params)
            return
        params += (conv.state, json.dumps(conv.data), conv.updated_at or entry.received_at,
                   json.dumps(conv.last_list))
        await self.conn.exec_driver_sql(_PG_SAVE_AND_LOG, params)
