"""Chat-facing handlers: routers per audience and the conversations (``handlers.flows``), wired in a
fixed order by ``build_dispatcher``.

Order matters: events first, then binding, then the officers' routers (each carries its role filter:
staff, 登记, leader, 统计, campaign with 排查 / 下访记录), the citizens' 建议, reception (接访安排, 预约,
取消预约, 接访名单), the officers' fallback, and the citizen router last, which answers everything
else. Every command word is recorded in ``handlers.commands`` as its route is registered.
"""

from __future__ import annotations

from bot.dispatch import Dispatcher


def build_dispatcher() -> Dispatcher:
    from handlers import binding, campaign, citizen, console_login, events, leader, reception, staff, stats
    from handlers.flows import campaign as campaign_flows
    from handlers.flows import walk_in

    dispatcher = Dispatcher()
    for router in (events.router, binding.router, staff.router, walk_in.FLOW.router, console_login.router,
                   leader.router, stats.router, campaign.router, campaign_flows.SUGGEST.router, reception.router,
                   reception.officer_router, staff.fallback_router, citizen.router):
        dispatcher.include(router)
    return dispatcher
