"""Logging in to the office web console from chat: one-time links, browser sessions, ending them.

No passwords: a bound person sends ``登录`` (or an admin runs ``xinfang people login-link``) and gets
a link valid for 10 minutes that works once and only while the person is still bound to the same
openid. Following it opens a session; the session ends on 退出, after 30 idle minutes, or as soon
as the person is unbound or deactivated (every request re-checks the person, and unbinding also
closes the rows). Only sha256 digests of link tokens and session ids are stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage.models import ConsoleLoginToken, ConsoleSession, Person

LINK_LIFETIME = timedelta(minutes=10)
IDLE_TIMEOUT = timedelta(minutes=30)
# last_seen_at is written at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)
CONSOLE_ROLES = frozenset({"staff", "leader", "supervisor", "admin"})
LOGIN_PATH = "/login/"
TOKEN_MAX = 128


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def may_use_console(person: Person | None) -> bool:
    return bool(person is not None and person.active and person.openid and person.role in CONSOLE_ROLES)


async def issue_login_link(session: AsyncSession, rt: Runtime, person: Person) -> str | None:
    """A one-time login URL for ``person`` (None if they are not an active bound officer)."""
    if not may_use_console(person):
        return None
    assert person.openid is not None
    token = secrets.token_urlsafe(32)
    now = rt.now()
    session.add(ConsoleLoginToken(token_hash=digest(token), person_id=person.id, openid=person.openid,
                                  created_at=now, expires_at=now + LINK_LIFETIME))
    await session.flush()
    return rt.settings.console_url.rstrip("/") + LOGIN_PATH + token


@dataclass(frozen=True)
class Login:
    ok: bool
    # On failure: "invalid" (unknown or forged), "used", "expired", "unbound" (person changed since).
    reason: str = ""
    sid: str = ""
    csrf: str = ""
    person: Person | None = None


async def redeem_login_link(session: AsyncSession, rt: Runtime, token: str) -> Login:
    """Use a link token once: a new browser session, or why not."""
    if not token or len(token) > TOKEN_MAX:
        return Login(False, "invalid")
    row = await session.scalar(
        select(ConsoleLoginToken).where(ConsoleLoginToken.token_hash == digest(token)).with_for_update())
    if row is None:
        return Login(False, "invalid")
    now = rt.now()
    if row.used_at is not None:
        return Login(False, "used")
    if row.expires_at <= now:
        return Login(False, "expired")
    person = await session.get(Person, row.person_id)
    if not may_use_console(person) or person is None or person.openid != row.openid:
        return Login(False, "unbound")
    row.used_at = now
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(ConsoleSession(sid_hash=digest(sid), person_id=person.id, openid=row.openid, csrf_token=csrf,
                               created_at=now, last_seen_at=now))
    await session.flush()
    return Login(True, "", sid, csrf, person)


@dataclass(frozen=True)
class Signed:
    """A live session and the person behind it."""

    person: Person
    csrf: str
    session_id: int


async def current(session: AsyncSession, rt: Runtime, sid: str) -> Signed | None:
    """The live session for ``sid``, refreshing its idle clock; None if ended, idle or unbound."""
    if not sid or len(sid) > TOKEN_MAX:
        return None
    row = await session.scalar(select(ConsoleSession).where(ConsoleSession.sid_hash == digest(sid)))
    if row is None or row.ended_at is not None:
        return None
    now = rt.now()
    if now - row.last_seen_at > IDLE_TIMEOUT:
        row.ended_at = now
        await session.flush()
        return None
    person = await session.get(Person, row.person_id)
    if not may_use_console(person) or person is None or person.openid != row.openid:
        row.ended_at = now
        await session.flush()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        await session.flush()
    return Signed(person, row.csrf_token, row.id)


async def end(session: AsyncSession, rt: Runtime, sid: str) -> None:
    """退出: end this browser's session."""
    await session.execute(update(ConsoleSession).where(ConsoleSession.sid_hash == digest(sid),
                                                       ConsoleSession.ended_at.is_(None))
                          .values(ended_at=rt.now()))


async def end_all_for(session: AsyncSession, rt: Runtime, person_id: int) -> int:
    """End every open session of a person (unbound, deactivated) and void their unused links."""
    now = rt.now()
    ended = await session.execute(update(ConsoleSession).where(ConsoleSession.person_id == person_id,
                                                               ConsoleSession.ended_at.is_(None))
                                  .values(ended_at=now))
    await session.execute(update(ConsoleLoginToken).where(ConsoleLoginToken.person_id == person_id,
                                                          ConsoleLoginToken.used_at.is_(None))
                          .values(used_at=now))
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]
