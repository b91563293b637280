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


@dataclass(frozen=True)
class _Leave:
    states: frozenset[str]
    keep: frozenset[Handler]
    run: Callable[[Context], Awaitable[None]]


class Dispatcher:
    def __init__(self) -> None:
        self.routers: list[Router] = []
        self._index: _RouteIndex | None = None
        self._leaves: list[_Leave] = []

    def on_leave(self, states: tuple[str, ...], keep: tuple[Handler, ...],
                 run: Callable[[Context], Awaitable[None]]) -> None:
        """Call ``run`` before any handler other than ``keep`` answers a message sent in one of
        ``states`` (a command typed during a 补充 session ends the session first)."""
        self._leaves.append(_Leave(frozenset(states), frozenset(keep), run))

    def command_words(self) -> frozenset[str]:
        """Every word some route takes as a command (the registry ``material`` filters consult)."""
        self._ensure_index()
        assert self._index is not None
        return frozenset(self._index.words)

    def _ensure_index(self) -> None:
        count = sum(len(router.routes) for router in self.routers)
        if self._index is None or self._index.size != count:
            self._index = _RouteIndex([route for router in self.routers for route in router.routes])

    def include(self, router: Router) -> Dispatcher:
        self.routers.append(router)
        return self

    def find(self, ctx: Context) -> Handler | None:
        self._ensure_index()
        assert self._index is not None
        ctx.extra["command_words"] = self._index.words
        word = ctx.command if ctx.msg_type in TEXTUAL else ""
        for route in self._index.candidates(ctx.msg_type, word):
            if route.matches(ctx):
                return route.handler
        return None

    async def dispatch(self, ctx: Context) -> str | None:
        handler = self.find(ctx)
        if handler is None:
            return None
        state = ctx.extra.get("state", "idle")
        if ctx.msg_type != "event":
            for leave in self._leaves:
                if state in leave.states and handler not in leave.keep:
                    await leave.run(ctx)
        return await handler(ctx)


class _RouteIndex:
    """Routes in dispatch order, leaving out those that cannot match a message's type or first word.

    A message is checked against routes until one matches. ``msg_type``, ``event``, ``click``,
    ``command`` and ``text_matches`` filters say which message types (and words) they can pass, so
    a citizen's plain text skips every event route and every command it does not start with: the
    same answer, fewer checks. Candidate lists are built once per (type, word) and kept.
    """

    def __init__(self, routes: list[_Route]) -> None:
        self.size = len(routes)
        self._routes = [(route, _limit(route, "msg_types"), _limit(route, "command_words")) for route in routes]
        self._words = {word for _, _, words in self._routes if words for word in words}
        self.words = frozenset(self._words)
        self._cache: dict[tuple[str, str], tuple[_Route, ...]] = {}

    def candidates(self, msg_type: str, word: str) -> tuple[_Route, ...]:
        key = (msg_type, word if word in self._words else "")
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = tuple(
                route for route, types, words in self._routes
                if (types is None or msg_type in types) and (words is None or key[1] in words))
        return found


def _limit(route: _Route, attribute: str) -> frozenset[str] | None:
    """What the route's filters allow for ``attribute`` (None: anything), from their annotations."""
    allowed: frozenset[str] | None = None
    for f in route.filters:
        values = getattr(f, attribute, None)
        if values is not None:
            allowed = values if allowed is None else allowed & values
    return allowed


def _annotate(f: Filter, **limits: frozenset[str]) -> Filter:
    for name, values in limits.items():
        setattr(f, name, values)
    return f


# ---- filters -------------------------------------------------------------------------------------

TEXTUAL = frozenset({"text", "voice"})
EVENT = frozenset({"event"})


def msg_type(*types: str) -> Filter:
    return _annotate(lambda ctx: ctx.msg_type in types, msg_types=frozenset(types))


def event(*names: str) -> Filter:
    lowered = {n.lower() for n in names}
    return _annotate(lambda ctx: ctx.msg_type == "event" and (ctx.event or "") in lowered, msg_types=EVENT)


def click(*keys: str) -> Filter:
    return _annotate(lambda ctx: ctx.msg_type == "event" and ctx.event == "click" and ctx.event_key in keys,
                     msg_types=EVENT)


def command(*words: str) -> Filter:
    """The first word of a text (or recognised voice) message is one of ``words``."""
    return _annotate(lambda ctx: ctx.msg_type in TEXTUAL and ctx.command in words,
                     msg_types=TEXTUAL, command_words=frozenset(words))


def text_matches(predicate: Callable[[str], bool]) -> Filter:
    return _annotate(lambda ctx: ctx.msg_type in TEXTUAL and predicate(ctx.text), msg_types=TEXTUAL)


def role(*roles: str) -> Filter:
    return lambda ctx: ctx.role in roles


def staff_or_above() -> Filter:
    return role("staff", "leader", "supervisor", "admin")


def state(*states: str) -> Filter:
    """The sender's conversation is in one of ``states`` (loaded by the dispatcher's middleware)."""
    return lambda ctx: ctx.extra.get("state", "idle") in states


def material() -> Filter:
    """Text a flow may collect as material: anything but a known command word (every command the
    bot names is executed as that command in every state, not swallowed)."""
    return lambda ctx: ctx.msg_type not in TEXTUAL or ctx.command not in ctx.extra.get("command_words", ())


def always() -> Filter:
    return lambda ctx: True
