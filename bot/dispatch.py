"""Routers, filters and the dispatcher that picks one handler per inbound message.

Shaped after aiogram 3: each audience module builds a ``Router``; a handler is registered with the
filters that select it, so its body never asks whether it applies. The dispatcher tries routers in
the order they were included (events, staff commands, then the citizen fallback) and the first
handler whose filters all pass answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from nlp.normalize import normalize
from storage.models import Person

log = logging.getLogger(__name__)

CITIZEN = "citizen"


@dataclass
class Context:
    """Everything a handler needs about one inbound message, injected by the dispatcher."""

    rt: Runtime
    session: AsyncSession
    openid: str
    msg_type: str  # text / image / voice / location / video / event / ...
    fields: dict[str, Any]
    message: Any = None  # the wechatpy object
    person: Person | None = None
    event: str | None = None  # lower-case event name for msg_type == "event"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.person.role if self.person is not None else CITIZEN

    @property
    def text(self) -> str:
        """Normalised text of a text message, or a voice message's Recognition; "" otherwise."""
        if "_text" not in self.extra:
            raw = ""
            if self.msg_type == "text":
                raw = self.fields.get("Content") or ""
            elif self.msg_type == "voice":
                raw = self.fields.get("Recognition") or ""
            self.extra["_text"] = normalize(raw)
        return self.extra["_text"]

    @property
    def words(self) -> list[str]:
        return self.text.split()

    @property
    def command(self) -> str:
        words = self.words
        return words[0] if words else ""

    @property
    def args(self) -> list[str]:
        return self.words[1:]

    @property
    def event_key(self) -> str:
        return self.fields.get("EventKey") or ""


Filter = Callable[[Context], bool]
Handler = Callable[[Context], Awaitable[str | None]]


@dataclass
class _Route:
    handler: Handler
    filters: tuple[Filter, ...]

    def matches(self, ctx: Context) -> bool:
        return all(f(ctx) for f in self.filters)


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[_Route] = []

    def handle(self, *filters: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(_Route(handler, filters))
            return handler

        return register


class Dispatcher:
    def __init__(self) -> None:
        self.routers: list[Router] = []

    def include(self, router: Router) -> Dispatcher:
        self.routers.append(router)
        return self

    def find(self, ctx: Context) -> Handler | None:
        for router in self.routers:
            for route in router.routes:
                if route.matches(ctx):
                    return route.handler
        return None

    async def dispatch(self, ctx: Context) -> str | None:
        handler = self.find(ctx)
        if handler is None:
            return None
        return await handler(ctx)


# ---- filters -------------------------------------------------------------------------------------

def msg_type(*types: str) -> Filter:
    return lambda ctx: ctx.msg_type in types


def event(*names: str) -> Filter:
    lowered = {n.lower() for n in names}
    return lambda ctx: ctx.msg_type == "event" and (ctx.event or "") in lowered


def click(*keys: str) -> Filter:
    return lambda ctx: ctx.msg_type == "event" and ctx.event == "click" and ctx.event_key in keys


def command(*words: str) -> Filter:
    """The first word of a text (or recognised voice) message is one of ``words``."""
    return lambda ctx: ctx.msg_type in ("text", "voice") and ctx.command in words


def text_matches(predicate: Callable[[str], bool]) -> Filter:
    return lambda ctx: ctx.msg_type in ("text", "voice") and predicate(ctx.text)


def role(*roles: str) -> Filter:
    return lambda ctx: ctx.role in roles


def staff_or_above() -> Filter:
    return role("staff", "leader", "supervisor", "admin")


def state(*states: str) -> Filter:
    """The sender's conversation is in one of ``states`` (loaded by the dispatcher's middleware)."""
    return lambda ctx: ctx.extra.get("state", "idle") in states


def always() -> Filter:
    return lambda ctx: True
