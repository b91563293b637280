"""Citizens: help, 查询, and the citizen flows (report, 补充, rating) in their order; the fallback.

This router is included last: whatever no staff, leader or reception handler took ends here, so
every message gets a helpful reply. The conversations are tables in ``handlers.flows``; this module
fixes the order they are tried in, between the citizen's own commands:

1. 帮助 (in any state), then 取消 of a report draft, then 取消 with nothing to cancel;
2. 查询, 补充 (``flows.supplement``), 评价 and a bare 1/2/3 (``flows.rating``);
3. a word that is a command of another audience (``handlers.commands``): never a report;
4. anything else is the report conversation (``flows.report``); then events and the fallback.
"""

from __future__ import annotations

from bot.dispatch import Context, always, command, event
from bot.services import citizen_cases
from handlers.commands import CITIZEN, audience_router, officer_command
from handlers.flows import rating, report, supplement
from handlers.texts import citizen as texts
from handlers.texts import common
from handlers.texts.citizen import Reply

router = audience_router("citizen", CITIZEN)

HELP_WORDS = ("帮助", "help", "HELP", "Help", "?", "？", "菜单")


@router.handle(command(*HELP_WORDS))
async def help_(ctx: Context) -> str | None:
    return texts.render(report.help_reply(ctx))


router.include(report.FLOW.fallback_router)


@router.handle(command(*report.CANCEL_WORDS))
async def cancel_nothing(ctx: Context) -> str | None:
    return texts.render(Reply("nothing_to_cancel"))


@router.handle(command("查询", "进度", "查询进度"))
async def query(ctx: Context) -> str | None:
    return await query_reply(ctx, ctx.args)


async def query_reply(ctx: Context, args: list[str]) -> str:
    if args:
        number = citizen_cases.parse_number(args[0])
        if number is None:
            return texts.render(Reply("query_usage"))
        view = await citizen_cases.case_view(ctx.session, ctx.rt, ctx.openid, number)
        if view is None:
            return texts.render(Reply("case_not_found", {"number": number}))
        return texts.case_detail(view)
    lines = await citizen_cases.my_cases(ctx.session, ctx.rt, ctx.openid)
    return texts.case_list(lines) if lines else texts.render(Reply("no_cases"))


router.include(supplement.FLOW.router)
router.include(rating.FLOW.router)


@router.handle(officer_command())
async def staff_command(ctx: Context) -> str | None:
    # Officers' routers filter by role; a citizen (or an officer misusing one) ends up here.
    return texts.render(Reply("staff_only"))


router.include(report.FLOW.steps_router)


@router.handle(event("subscribe"))
async def subscribe_with_scene(ctx: Context) -> str | None:
    # A QR-scene subscribe that no binding handler claimed is still a new follower.
    return common.WELCOME


@router.handle(always())
async def fallback(ctx: Context) -> str | None:
    if ctx.msg_type == "event":
        return None
    return common.UNSUPPORTED
