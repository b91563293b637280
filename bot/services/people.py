"""People (staff, leaders, supervisors, admins) and binding their WeChat openid with a one-time code.

An admin creates a person and gets a binding code to hand over. Only the code's sha256 is stored;
the code expires after 24 hours, works once, and an openid gets at most five wrong tries per hour
(each wrong try is a ``BindAttempt`` row, so the limit holds across worker processes).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services import console_auth
from storage.models import BindAttempt, Department, Person
from storage.models.people import ROLES
from storage.repositories.departments import department_named

CODE_LIFETIME = timedelta(hours=24)
MAX_WRONG_TRIES = 5
WRONG_TRY_WINDOW = timedelta(hours=1)
# No 0/O/1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_code(text: str) -> bool:
    """Whether a QR scene value could be a binding code (other scenes belong to other features)."""
    code = normalise_code(text)
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


class PeopleError(ValueError):
    """A bad admin request (unknown role, missing department); the CLI prints it."""


async def create_person(
    session: AsyncSession, rt: Runtime, *, name: str, role: str, department: str | None = None,
    title: str | None = None,
) -> tuple[Person, str]:
    """Create a person and return it with its one-time binding code (shown once, stored hashed)."""
    if role not in ROLES:
        raise PeopleError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role in ("staff", "leader") and not department:
        raise PeopleError(f"a {role} needs a department (--dept)")
    dept = await department_named(session, department) if department else None
    person = Person(name=name, role=role, title=title, department_id=dept.id if dept else None,
                    active=True, created_at=rt.now())
    session.add(person)
    await session.flush()
    code = await issue_bind_code(session, rt, person)
    return person, code


async def issue_bind_code(session: AsyncSession, rt: Runtime, person: Person) -> str:
    """A fresh code for ``person``; any earlier unused code stops working."""
    code = new_code()
    person.bind_code_hash = hash_code(code)
    person.bind_code_expires_at = rt.now() + CODE_LIFETIME
    await session.flush()
    return code


@dataclass(frozen=True)
class BindResult:
    ok: bool
    # "bound", "already_bound", "rate_limited", "invalid", "expired", "openid_taken"
    reason: str
    person: Person | None = None


async def wrong_tries(session: AsyncSession, rt: Runtime, openid: str) -> int:
    since = rt.now() - WRONG_TRY_WINDOW
    count = await session.scalar(
        select(func.count()).select_from(BindAttempt).where(BindAttempt.openid == openid, BindAttempt.at > since))
    return int(count or 0)


async def bind(session: AsyncSession, rt: Runtime, openid: str, code: str) -> BindResult:
    """Bind ``openid`` to the person whose code this is."""
    if await wrong_tries(session, rt, openid) >= MAX_WRONG_TRIES:
        return BindResult(False, "rate_limited")
    now = rt.now()
    # FOR UPDATE: two deliveries of the same code must not both bind (no-op on SQLite, which
    # serialises writers anyway).
    person = await session.scalar(
        select(Person).where(Person.bind_code_hash == hash_code(code)).with_for_update(of=Person))
    if person is None or not person.active:
        session.add(BindAttempt(openid=openid, at=now))
        await session.flush()
        return BindResult(False, "invalid")
    if person.bind_code_expires_at is None or person.bind_code_expires_at <= now:
        session.add(BindAttempt(openid=openid, at=now))
        await session.flush()
        return BindResult(False, "expired")
    if person.openid == openid:
        person.bind_code_hash = None
        return BindResult(True, "already_bound", person)
    holder = await session.scalar(select(Person).where(Person.openid == openid))
    if holder is not None and holder.id != person.id:
        return BindResult(False, "openid_taken", holder)
    person.openid = openid
    person.bound_at = now
    person.bind_code_hash = None
    person.bind_code_expires_at = None
    await session.flush()
    return BindResult(True, "bound", person)


async def list_people(session: AsyncSession) -> list[Person]:
    return list(await session.scalars(select(Person).order_by(Person.id)))


async def people_of_department(session: AsyncSession, department_id: int | None,
                               roles: tuple[str, ...] = ("staff", "leader")) -> list[Person]:
    if department_id is None:
        return []
    return list(await session.scalars(
        select(Person).where(Person.department_id == department_id, Person.role.in_(roles), Person.active,
                             Person.openid.is_not(None)).order_by(Person.id)))


async def supervisors(session: AsyncSession) -> list[Person]:
    return list(await session.scalars(
        select(Person).where(Person.role == "supervisor", Person.active, Person.openid.is_not(None))
        .order_by(Person.id)))


async def add_department(session: AsyncSession, name: str, *, triage: bool = False,
                         supervision: bool = False) -> Department:
    dept = await department_named(session, name)
    assert dept is not None
    if triage:
        dept.is_triage = True
    if supervision:
        dept.is_supervision = True
    await session.flush()
    return dept


async def find_person(session: AsyncSession, ref: str) -> list[Person]:
    """People matching ``ref``: an id number (``12`` or ``#12``) or an exact name."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit():
        person = await session.get(Person, int(ref))
        return [person] if person is not None else []
    return list(await session.scalars(select(Person).where(Person.name == ref).order_by(Person.id)))


async def unbind(session: AsyncSession, rt: Runtime, person: Person) -> None:
    """Release the person's openid; their console sessions and unused login links end with it."""
    person.openid = None
    person.bound_at = None
    await console_auth.end_all_for(session, rt, person.id)
    await session.flush()


async def deactivate(session: AsyncSession, rt: Runtime, person: Person) -> None:
    """Stop an account (kept for the case history); it loses chat rights and console sessions."""
    person.active = False
    person.bind_code_hash = None
    await console_auth.end_all_for(session, rt, person.id)
    await session.flush()
