"""Leader and supervisor commands (§3.2): 包案, 督办, 确认办结.

``接访名单`` lives with reception and ``统计`` with ``handlers.stats``. The router admits bound
officers; each route narrows to the roles ``bot.case_policy`` names, and staff who type a leader
command get a plain refusal here. Citizens never reach this router (they get the citizen help).
"""

from __future__ import annotations

from bot import case_policy as policy
from bot.dispatch import Context, command, role, staff_or_above
from bot.services import workflow
from bot.services.case_queries import Case
from handlers.commands import STAFF, audience_router
from handlers.staff import bound_person, error_text, with_case
from handlers.texts import staff as texts
from nlp.numbers import parse_number

router = audience_router("leader", STAFF, staff_or_above())


@router.handle(role(*policy.TAKE_CHARGE_ROLES), command("包案"))
async def take_charge(ctx: Context) -> str | None:
    async def body(case: Case, _: list[str]) -> str:
        outcome = await workflow.take_charge(ctx.session, ctx.rt, case, bound_person(ctx))
        return texts.TAKEN.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 1, body)


@router.handle(role(*policy.SUPERVISE_ROLES), command("督办"))
async def supervise(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        days = parse_number(rest[0]) if rest else None
        opinion = " ".join(rest[1:] if days is not None else rest)
        if not opinion:
            return texts.USAGE["督办"]
        outcome = await workflow.supervise(ctx.session, ctx.rt, case, bound_person(ctx), opinion, days)
        if not outcome.ok:
            return error_text(outcome)
        return texts.SUPERVISED.format(number=case.number, due_text=outcome.detail["due_text"])

    return await with_case(ctx, 2, body)


@router.handle(role(*policy.TAKE_CHARGE_ROLES), command("确认办结"))
async def confirm_resolve(ctx: Context) -> str | None:
    async def body(case: Case, _: list[str]) -> str:
        outcome = await workflow.confirm_resolve(ctx.session, ctx.rt, case, bound_person(ctx))
        return texts.CONFIRMED.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 1, body)


@router.handle(command("包案", "督办", "确认办结", "重办"))
async def not_for_this_role(ctx: Context) -> str | None:
    return texts.ERRORS["forbidden"]
