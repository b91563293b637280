"""Routers, filters and the dispatcher that picks one handler per inbound message.

Shaped after aiogram 3: each audience module builds a ``Router``, optionally with router-level
filters (the role filter of a staff router) that every one of its routes carries; a handler is
registered with the filters that select it, so its body never asks whether it applies. The
dispatcher tries routers in the order they were included (events, staff commands, then the citizen
fallback) and the first handler whose filters all pass answers. A router built with a
``CommandRegistry`` records the command words its routes answer, so the citizen fallback can tell a
known command word from the start of a report (``handlers.commands``).

The conversation record (``ConversationState``) is read by the webhook when the message arrives and
handed to the ``Context``; ``state`` filters read it, ``handlers.flows`` write it.
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
from storage.repositories.inbound import IDLE, ConversationState
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
    # The sender's conversation record, read at arrival; a flow that changes it marks it changed.
    conversation: ConversationState = None  # type: ignore[assignment]
    # Read at arrival: whether the sender has a case that went to 复查/复核 (a hand-made context
    # assumes so, which only costs a lookup).
    has_reviewed_cases: bool = True
    _text: str | None = field(default=None, repr=False)
    _words: list[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.conversation is None:
            # Only a message the webhook did not bring (a test's hand-made context) starts blank.
            self.conversation = ConversationState(self.openid)

    @property
    def state(self) -> str:
        """The sender's conversation state (``idle`` when no flow runs)."""
        return self.conversation.state

    @property
    def session(self) -> AsyncSession:
        return self.unit.session

    @property
    def role(self) -> str:
        return self.person.role if self.person is not None else CITIZEN

    @property
    def text(self) -> str:
        """Normalised text of a text message, or a voice message's Recognition; "" otherwise."""
        if self._text is None:
            raw = ""
            if self.msg_type == "text":
                raw = self.fields.get("Content") or ""
            elif self.msg_type == "voice":
                raw = self.fields.get("Recognition") or ""
            self._text = normalize(raw)
        return self._text

    @property
    def raw_text(self) -> str:
        """The text as typed (a voice message's Recognition), newlines kept: for multi-line answers."""
        return str(self.fields.get("Content") or self.fields.get("Recognition") or "")

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = self.text.split()
        return self._words

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


class CommandRegistry:
    """Every command word a router answers, by the audience of the router that answers it.

    Routers built with a registry record the words of their command routes (a route whose filters
    name command words and no conversation state: a flow's 取消 is not a command). The citizen
    fallback asks ``words_for`` so a citizen typing a staff word is told it is for staff, not
    taken for the start of a report.
    """

    def __init__(self) -> None:
        self._words: dict[str, set[str]] = {}

    def add(self, audience: str, words: frozenset[str]) -> None:
        self._words.setdefault(audience, set()).update(words)

    def words_for(self, *audiences: str) -> frozenset[str]:
        return frozenset(w for a in audiences for w in self._words.get(a, ()))

    def command_of(self, *audiences: str) -> Filter:
        """A filter passing text whose first word is a command of ``audiences`` (read at first use,
        when every router has registered)."""
        return _RegisteredCommand(self, audiences)


class _RegisteredCommand:
    def __init__(self, registry: CommandRegistry, audiences: tuple[str, ...]) -> None:
        self.registry = registry
        self.audiences = audiences
        self.msg_types = TEXTUAL

    @property
    def command_words(self) -> frozenset[str]:
        return self.registry.words_for(*self.audiences)

    def __call__(self, ctx: Context) -> bool:
        return ctx.msg_type in TEXTUAL and ctx.command in self.command_words


class Router:
    """Routes of one audience or flow. ``filters`` apply to every route (a router-level role filter);
    ``audience`` and ``registry`` record the command words for ``CommandRegistry``."""

    def __init__(self, name: str, *filters: Filter, audience: str | None = None,
                 registry: CommandRegistry | None = None) -> None:
        self.name = name
        self.filters = filters
        self.audience = audience
        self.registry = registry
        self.routes: list[_Route] = []

    def handle(self, *filters: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(handler, *filters)
            return handler

        return register

    def include(self, other: Router) -> None:
        """Splice ``other``'s routes in here, at this point of the order (a flow inside an audience)."""
        for route in other.routes:
            self.routes.append(_Route(route.handler, (*self.filters, *route.filters)))

    def add(self, handler: Handler, *filters: Filter) -> None:
        route = _Route(handler, (*self.filters, *filters))
        self.routes.append(route)
        if self.registry is not None and self.audience is not None:
            # A command route, not a flow's in-state word nor a route that asks the registry itself.
            own = tuple(f for f in route.filters if not isinstance(f, _RegisteredCommand))
            words = _limit(_Route(handler, own), "command_words")
            if words and not any(getattr(f, "states", None) for f in own):
                self.registry.add(self.audience, words)


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
        word = ctx.command if ctx.msg_type in TEXTUAL else ""
        for route in self._index.candidates(ctx.msg_type, word, ctx.conversation.state, ctx.role):
            if route.matches(ctx):
                return route.handler
        return None

    async def dispatch(self, ctx: Context) -> str | None:
        handler = self.find(ctx)
        if handler is None:
            return None
        state = ctx.state
        if ctx.msg_type != "event":
            for leave in self._leaves:
                if state in leave.states and handler not in leave.keep:
                    await leave.run(ctx)
        return await handler(ctx)


class _RouteIndex:
    """Routes in dispatch order, leaving out those that cannot match a message.

    A message is checked against routes until one matches. ``msg_type``, ``event``, ``click``,
    ``command`` and ``text_matches`` filters say which message types (and words) they can pass,
    ``state`` / ``outside`` which conversation states, ``role`` which roles; so a citizen's plain
    text in no flow skips every event route, every command it does not start with, every step of a
    flow it is not in and every officer's route: the same answer, fewer checks. Candidate lists are
    built once per (type, word, state, role) and kept.
    """

    def __init__(self, routes: list[_Route]) -> None:
        self.size = len(routes)
        self._routes = [(route, _limit(route, "msg_types"), _limit(route, "command_words"), _limit(route, "states"),
                         _union(route, "not_states"), _limit(route, "roles")) for route in routes]
        self._words = {word for _, _, words, *_ in self._routes if words for word in words}
        self._cache: dict[tuple[str, str, str, str], tuple[_Route, ...]] = {}

    def candidates(self, msg_type: str, word: str, state: str = IDLE, role: str = CITIZEN) -> tuple[_Route, ...]:
        key = (msg_type, word if word in self._words else "", state, role)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = tuple(
                route for route, types, words, states, not_states, roles in self._routes
                if (types is None or msg_type in types) and (words is None or key[1] in words)
                and (states is None or state in states) and state not in not_states
                and (roles is None or role in roles))
        return found


def _union(route: _Route, attribute: str) -> frozenset[str]:
    """Everything the route's filters exclude for ``attribute``, from their annotations."""
    out: frozenset[str] = frozenset()
    for f in route.filters:
        out |= getattr(f, attribute, None) or frozenset()
    return out


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
STAFF_ROLES = ("staff", "leader", "supervisor", "admin")


def msg_type(*types: str) -> Filter:
    def of_type(ctx: Context) -> bool:
        return ctx.msg_type in types

    return _annotate(of_type, msg_types=frozenset(types))


def event(*names: str) -> Filter:
    lowered = {n.lower() for n in names}

    def is_event(ctx: Context) -> bool:
        return ctx.msg_type == "event" and (ctx.event or "") in lowered

    return _annotate(is_event, msg_types=EVENT)


def click(*keys: str) -> Filter:
    def is_click(ctx: Context) -> bool:
        return ctx.msg_type == "event" and ctx.event == "click" and ctx.event_key in keys

    return _annotate(is_click, msg_types=EVENT)


def command(*words: str) -> Filter:
    """The first word of a text (or recognised voice) message is one of ``words``."""
    def is_command(ctx: Context) -> bool:
        return ctx.msg_type in TEXTUAL and ctx.command in words

    return _annotate(is_command, msg_types=TEXTUAL, command_words=frozenset(words))


def text_matches(predicate: Callable[[str], bool]) -> Filter:
    def text_passes(ctx: Context) -> bool:
        return ctx.msg_type in TEXTUAL and predicate(ctx.text)

    return _annotate(text_passes, msg_types=TEXTUAL)


def role(*roles: str) -> Filter:
    def has_role(ctx: Context) -> bool:
        return ctx.role in roles

    return _annotate(has_role, roles=frozenset(roles))


def staff_or_above() -> Filter:
    return role(*STAFF_ROLES)


def state(*states: str) -> Filter:
    """The sender's conversation is in one of ``states`` (read by the webhook at arrival)."""
    wanted = frozenset(str(s) for s in states)

    def in_state(ctx: Context) -> bool:
        return ctx.conversation.state in wanted

    return _annotate(in_state, states=wanted)


def outside(*states: str) -> Filter:
    """The sender's conversation is in none of ``states`` (idle, or another flow's state)."""
    unwanted = frozenset(str(s) for s in states)

    def not_in_state(ctx: Context) -> bool:
        return ctx.conversation.state not in unwanted

    return _annotate(not_in_state, not_states=unwanted)


def idle() -> Filter:
    """No flow is running for the sender."""
    return state(IDLE)


def always() -> Filter:
    def anything(ctx: Context) -> bool:
        return True

    return anything
