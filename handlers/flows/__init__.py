"""Conversations: each flow is a table of entry points, states and fallbacks.

Shaped after python-telegram-bot's ``ConversationHandler``. A module here declares its states as an
``Enum`` (values are the stored state names), its data as a ``FlowData`` dataclass
(``handlers.flows.state``) and, at the bottom, one ``Flow``::

    FLOW = Flow("booking", BookingState, audience="citizen",
                entry_points=[Step(start, command("预约"), role("citizen"))],
                states={BookingState.SUBJECT: [Step(take_subject, msg_type("text", "voice"))],
                        BookingState.PEOPLE: [Step(take_people, msg_type("text", "voice"))]},
                fallbacks=[Step(abandon, command("取消"))])

``FLOW.router`` is what ``handlers.build_dispatcher`` includes: fallbacks first (they apply in every
state of the flow), then entry points, then each state's steps (filtered to that state). Steps
take the ``Context``, call services with plain values (openid, case number, text, a clock) and
word the outcome; they move the conversation with ``state.enter`` / ``state.reset``.

The flows: ``report`` (a citizen's report), ``supplement`` (补充 and the 不满意 reason), ``booking``
(预约 a reception slot), ``walk_in`` (登记 by staff), ``campaign`` (排查, 下访记录, 建议).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.dispatch import Filter, Handler, Router
from bot.dispatch import state as state_filter
from handlers.commands import COMMANDS


@dataclass(frozen=True)
class Step:
    """One row of a flow's table: a handler and the filters that select it."""

    handler: Handler
    filters: tuple[Filter, ...]

    def __init__(self, handler: Handler, *filters: Filter) -> None:
        object.__setattr__(self, "handler", handler)
        object.__setattr__(self, "filters", filters)


class Flow:
    """A conversation declared as a table; ``router`` routes it."""

    def __init__(self, name: str, state_enum: type[StrEnum], *, entry_points: Sequence[Step],
                 states: Mapping[StrEnum, Sequence[Step]], fallbacks: Sequence[Step] = (),
                 router_filters: Sequence[Filter] = (), audience: str | None = None) -> None:
        self.name = name
        self.state_enum = state_enum
        self._state_names = frozenset(str(s) for s in state_enum)
        self.entry_points = tuple(entry_points)
        self.table = dict(states)
        self.fallbacks = tuple(fallbacks)
        # Entry commands go into the command registry like any router's (the citizen fallback reads it).
        registry = COMMANDS if audience else None
        # Two parts, so an audience router can splice its own routes between them (``Router.include``).
        self.fallback_router = Router(f"{name}-fallbacks", *router_filters, audience=audience, registry=registry)
        self.steps_router = Router(f"{name}-steps", *router_filters, audience=audience, registry=registry)
        in_flow = state_filter(*state_enum)
        for step in self.fallbacks:
            self.fallback_router.add(step.handler, in_flow, *step.filters)
        for step in self.entry_points:
            self.steps_router.add(step.handler, *step.filters)
        for name_, steps in self.table.items():
            for step in steps:
                self.steps_router.add(step.handler, state_filter(name_), *step.filters)
        self.router = Router(name)
        self.router.include(self.fallback_router)
        self.router.include(self.steps_router)

    def __contains__(self, value: object) -> bool:
        return value in self._state_names
