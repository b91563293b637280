"""`统计 [本月|上月|YYYY-MM|YYYY-MM-DD~YYYY-MM-DD]`: period statistics for leaders and 督查室.

Only leaders and supervisors match; anyone else's `统计` falls through to the routers after this one.
"""

from __future__ import annotations

from bot.case_policy import STATISTICS_ROLES
from bot.dispatch import Context, command, role
from bot.services import statistics
from handlers.commands import STAFF, audience_router
from handlers.texts import stats as texts

router = audience_router("stats", STAFF, role(*STATISTICS_ROLES))


@router.handle(command("统计"))
async def stats(ctx: Context) -> str:
    period = "".join(ctx.args)
    if period in ("帮助", "?", "？"):
        return texts.STATS_USAGE
    if statistics.parse_period(period, ctx.rt) is None:
        return texts.BAD_PERIOD.format(period=" ".join(ctx.args))
    return await statistics.short_summary(ctx.session, ctx.rt, ctx.person, period)
