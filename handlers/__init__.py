"""Chat-facing handlers: one router per audience, wired in a fixed order by ``build_dispatcher``.

Order matters: events first, then binding, then role-filtered staff / leader / report commands,
then reception booking, the staff fallback, and the citizen router last, which answers everything else.
"""

from __future__ import annotations

from bot.dispatch import Dispatcher


def build_dispatcher() -> Dispatcher:
    from handlers import binding, campaign, citizen, console_login, events, leader, reception, reports, staff

    dispatcher = Dispatcher()
    for router in (events.router, binding.router, staff.router, console_login.router, leader.router, reports.router,
                   campaign.router, reception.router, staff.fallback_router, citizen.router):
        dispatcher.include(router)
    return dispatcher
