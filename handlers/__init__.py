"""Chat-facing handlers: one router per audience, wired in a fixed order by ``build_dispatcher``.

Order matters: events first, then binding, the citizen's review / 回头看 commands (before any flow
can take them as material), then role-filtered staff / leader / report commands, then reception
booking, the staff fallback, and the citizen router last, which answers everything else.
"""

from __future__ import annotations

from bot.dispatch import Dispatcher


def build_dispatcher() -> Dispatcher:
    from handlers import binding, campaign, citizen, events, leader, reception, reports, reviews, staff

    dispatcher = Dispatcher()
    for router in (events.router, binding.router, reviews.router, staff.router, leader.router, reports.router,
                   campaign.router, reception.router, staff.fallback_router, citizen.router):
        dispatcher.include(router)
    from bot.services import citizen_cases

    dispatcher.on_leave((citizen_cases.SUPPLEMENT,), citizen.SUPPLEMENT_HANDLERS, citizen_cases.leave_supplement)
    return dispatcher
