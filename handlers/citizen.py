"""Citizen conversation: reporting, queries, supplements and ratings (the fallback router).

This router is included last: whatever no staff, leader or reception handler took ends here, so
every message gets a helpful reply. The report flow itself is the table in
``bot.services.reporting``; handlers here only pick the entry point and word the reply.
"""

from __future__ import annotations

from bot.dispatch import Context, Router, always, command, event, msg_type, state, text_matches
from bot.services import citizen_cases, conversation, rating, reporting
from bot.services.reporting import Reply
from handlers.texts import citizen as texts
from handlers.texts import common
from storage.models import Case
from storage.repositories.cases import citizen_case, latest_unrated_resolved_case

router = Router("citizen")

RATE_REASON = "report_rate_reason"
STAFF_COMMANDS = ("待办", "详情", "受理", "不予受理", "回复", "转办", "延期", "办结", "确认办结", "分类",
                  "包案", "督办", "接访名单", "统计", "登记", "绑定", "重办", "排查", "活动", "下访记录",
                  "回头看", "答复建议", "登录")
HELP_WORDS = ("帮助", "help", "HELP", "Help", "?", "？", "菜单")
RATING_DIGITS = ("1", "2", "3")


@router.handle(command(*HELP_WORDS))
async def help_(ctx: Context) -> str | None:
    return texts.render(await reporting.help_now(ctx))


@router.handle(command(*reporting.CANCEL_WORDS), state(*reporting.FLOW_STATES))
async def cancel(ctx: Context) -> str | None:
    return texts.render(await reporting.cancel(ctx))


@router.handle(command(*reporting.CANCEL_WORDS))
async def cancel_nothing(ctx: Context) -> str | None:
    return texts.render(Reply("nothing_to_cancel"))


@router.handle(command("查询", "进度", "查询进度"))
async def query(ctx: Context) -> str | None:
    return await query_reply(ctx)


async def query_reply(ctx: Context) -> str:
    if ctx.args:
        number = citizen_cases.parse_number(ctx.args[0])
        if number is None:
            return texts.render(Reply("query_usage"))
        view = await citizen_cases.case_view(ctx.session, ctx.rt, ctx.openid, number)
        if view is None:
            return texts.render(Reply("case_not_found", {"number": number}))
        return texts.case_detail(view)
    lines = await citizen_cases.my_cases(ctx.session, ctx.rt, ctx.openid)
    return texts.case_list(lines) if lines else texts.render(Reply("no_cases"))


@router.handle(command("补充"))
async def supplement(ctx: Context) -> str | None:
    arg = ctx.args[0] if ctx.args else None
    rest = " ".join(ctx.args[1:])
    return texts.render(await citizen_cases.start_supplement(ctx, arg, rest))


@router.handle(state(citizen_cases.SUPPLEMENT), msg_type("text", "voice", "image", "video", "shortvideo"))
async def supplement_material(ctx: Context) -> str | None:
    return texts.render(await citizen_cases.continue_supplement(ctx))


@router.handle(command("评价"))
async def rate_command(ctx: Context) -> str | None:
    """``评价 <编号> <1|2|3> [理由]``."""
    args = ctx.args
    number = citizen_cases.parse_number(args[0]) if args else None
    if number is None or len(args) < 2 or args[1] not in RATING_DIGITS:
        return texts.render(Reply("rate_usage"))
    case = await citizen_case(ctx.session, ctx.openid, number)
    if case is None:
        return texts.render(Reply("case_not_found", {"number": number}))
    return await _rate(ctx, case, int(args[1]), " ".join(args[2:]) or None)


@router.handle(state("idle"), text_matches(lambda t: t[:1] in RATING_DIGITS and (len(t) == 1 or t[1] == " ")))
async def rate_digit(ctx: Context) -> str | None:
    """A bare ``1``/``2``/``3`` (optionally with a reason) rates the latest resolved case."""
    case = await latest_unrated_resolved_case(ctx.session, ctx.openid)
    if case is None:
        return texts.render(Reply("nothing_to_rate"))
    return await _rate(ctx, case, int(ctx.text[0]), ctx.text[1:].strip() or None)


async def _rate(ctx: Context, case: Case, score: int, reason: str | None) -> str:
    outcome = await rating.rate(ctx.session, ctx.rt, case, score, reason, ctx.openid)
    if not outcome.ok:
        return texts.render(Reply("rate_not_resolved", {"number": case.number}))
    if outcome.needs_reason:
        await conversation.set_state(ctx, RATE_REASON, {"case_id": case.id})
        return texts.render(Reply("rated_unsatisfied", {"number": case.number}))
    if outcome.reopened:
        return texts.render(Reply("rated_unsatisfied_with_reason", {"number": case.number}))
    return texts.render(Reply("rated", {"number": case.number, "label": texts.RATING_LABELS[score]}))


@router.handle(state(RATE_REASON), msg_type("text", "voice"))
async def rate_reason(ctx: Context) -> str | None:
    conv = await conversation.load(ctx)
    case_id = (conv.data or {}).get("case_id")
    await conversation.reset(ctx)
    case = await ctx.session.get(Case, case_id or 0)
    if case is None or ctx.text in reporting.CANCEL_WORDS or not ctx.text:
        return texts.render(Reply("help"))
    await rating.add_reason(ctx.session, ctx.rt, case, ctx.text, ctx.openid)
    return texts.render(Reply("reason_received", {"number": case.number}))


@router.handle(command(*STAFF_COMMANDS))
async def staff_command(ctx: Context) -> str | None:
    # Staff routers filter by role; a citizen (or a staff member misusing one) ends up here.
    return texts.render(Reply("staff_only"))


@router.handle(msg_type("text", "voice", "image", "location", "video", "shortvideo"))
async def report(ctx: Context) -> str | None:
    return texts.render(await reporting.handle(ctx))


@router.handle(event("subscribe"))
async def subscribe_with_scene(ctx: Context) -> str | None:
    # A QR-scene subscribe that no binding handler claimed is still a new follower.
    return common.WELCOME


@router.handle(always())
async def fallback(ctx: Context) -> str | None:
    if ctx.msg_type == "event":
        return None
    return common.UNSUPPORTED
