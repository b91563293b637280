"""Chat-facing handlers: one router per audience, wired in a fixed order by ``build_dispatcher``.

Order matters: events first, then the binding command, then staff/leader/supervisor commands
(role-filtered), and the citizen router last, which answers everything else.
"""

from __future__ import annotations

from bot.dispatch import Dispatcher


def build_dispatcher() -> Dispatcher:
    from handlers import citizen, events

    dispatcher = Dispatcher()
    dispatcher.include(events.router)
    dispatcher.include(citizen.router)
    return dispatcher
