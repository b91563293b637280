"""Queueing outbound messages: every message to a person goes through here, inside the caller's
transaction, so a change and the messages it causes commit (or vanish) together.

A notice about a case (``case=``) is masked per recipient by ``bot.services.masking``: on a
检举控告类 case only the 信访 office and the supervisor read the reporter's identity."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services.masking import mask_fields_for_viewer, mask_for_viewer
from storage.models import Person
from storage.repositories.outbox import insert_message


async def notify(
    session: AsyncSession, rt: Runtime, *, openid: str | None, kind: str, text: str,
    case_id: int | None = None, dedupe_key: str | None = None, fields: dict[str, Any] | None = None,
) -> bool:
    """Queue ``text`` for ``openid``. Returns False when there is no one to send to or the
    dedupe key was already used (a notification is sent at most once per key)."""
    if not openid:
        return False
    return await insert_message(session, openid=openid, kind=kind, text=text, now=rt.now(),
                                fields=fields, case_id=case_id, dedupe_key=dedupe_key)


async def notify_person(
    session: AsyncSession, rt: Runtime, person: Person | None, *, kind: str, text: str,
    case_id: int | None = None, dedupe_key: str | None = None, fields: dict[str, Any] | None = None,
    case: Any = None,
) -> bool:
    """Queue ``text`` for a bound person; with ``case`` (the case the notice is about) the text and
    fields are masked for this person as ``bot.services.masking`` decides."""
    if person is None or not person.active:
        return False
    if case is not None:
        text = mask_for_viewer(person, case, text)
        fields = mask_fields_for_viewer(person, case, fields)
    key = f"{dedupe_key}:p{person.id}" if dedupe_key else None
    return await notify(session, rt, openid=person.openid, kind=kind, text=text, case_id=case_id,
                        dedupe_key=key, fields=fields)


async def notify_people(
    session: AsyncSession, rt: Runtime, people: Iterable[Person | None], *, kind: str, text: str,
    case_id: int | None = None, dedupe_key: str | None = None, fields: dict[str, Any] | None = None,
    case: Any = None,
) -> int:
    """``notify_person`` for each distinct person (one message each, however often listed)."""
    distinct = {p.id: p for p in people if p is not None}
    sent = 0
    for person in distinct.values():
        sent += await notify_person(session, rt, person, kind=kind, text=text, case_id=case_id,
                                    dedupe_key=dedupe_key, fields=fields, case=case)
    return sent
