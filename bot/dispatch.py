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
from storage.unit_of_work import Unit

log = logging.getLogger(__name__)

CITIZEN = "citizen"


@dataclass
class Context:
    """Everything a handler needs about one inbound message, injected by the dispatcher."""

    rt: Runtime
    unit: Unit  # the message's unit of work: ``session`` below opens its ORM session on first use
    openid: str
    msg_type: str  # text / image / voice / location / video / event / ...
    fields: dict[str, Any]
    person: Person | None = None
    event: str | None = None  # lower-case event name for msg_type == "event"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def session(self) -> AsyncSession:
        return self.unit.session

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
        if "_words" not in self.extra:
            self.extra["_words"] = self.text.split()
        return self.extra["_words"]  # type: ignore[no-any-return]

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
        self._index: _RouteIndex | None = None

    def include(self, router: Router) -> Dispatcher:
        self.routers.append(router)
        return self

    def find(self, ctx: Context) -> Handler | None:
        count = sum(len(router.routes) for router in self.routers)
        if self._index is None or self._index.size != count:
            self._index = _RouteIndex([route for router in self.routers for route in router.routes])
        routes = self._index.plain
        if ctx.msg_type in ("text", "voice"):
            routes = self._index.by_word.get(ctx.command, routes)
        for route in routes:
            if route.matches(ctx):
                return route.handler
        return None

    async def dispatch(self, ctx: Context) -> str | None:
        handler = self.find(ctx)
        if handler is None:
            return None
        return await handler(ctx)


class _RouteIndex:
    """Routes in dispatch order, with those whose ``command`` filter cannot match left out.

    A message is checked against every route until one matches; most routes are commands, so a
    message whose first word is no command skips them all (the same answer, fewer checks).
    """

    def __init__(self, routes: list[_Route]) -> None:
        self.size = len(routes)
        words_of = [_command_words(route) for route in routes]
        self.plain = tuple(route for route, words in zip(routes, words_of, strict=True) if words is None)
        every = {word for words in words_of if words for word in words}
        self.by_word = {word: tuple(route for route, words in zip(routes, words_of, strict=True)
                                    if words is None or word in words) for word in every}


def _command_words(route: _Route) -> frozenset[str] | None:
    for f in route.filters:
        words = getattr(f, "command_words", None)
        if words is not None:
            return words  # type: ignore[no-any-return]
    return None


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
    def matches(ctx: Context) -> bool:
        return ctx.msg_type in ("text", "voice") and ctx.command in words

    matches.command_words = frozenset(words)  # type: ignore[attr-defined]  # read by _RouteIndex
    return matches


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
