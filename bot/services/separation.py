"""诉访分离 (信访工作条例 art. 31): a claim that belongs to litigation, arbitration or administrative
reconsideration is not handled as a petition; the citizen is told which body to apply to and by when.

The routes (name, competent body, time limit, the words that suggest them) are data in the rules
file's ``separation`` section, so an office can name its own court or arbitration committee.
Intake records the suggested route on the case (``bot.services.intake``); staff confirm with
``不予受理 <案> 诉访分离 <途径>``, which declines the case through the ordinary workflow with this notice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services import workflow
from nlp.rules import SeparationRoute
from storage.models import Case, Person

COMMAND_WORD = "诉访分离"
CITIZEN_SEPARATED = (
    "您反映的事项（{number}）依法应当通过{route}途径解决。依照《信访工作条例》第三十一条，本件不作为信访事项受理。\n"
    "请向{body}提出：{limit}。逾期可能丧失相应权利，请尽快办理。"
)
REASON = "诉访分离：应通过{route}途径解决（{body}）"


def routes(rt: Runtime) -> tuple[SeparationRoute, ...]:
    return rt.categoriser.rules.separation


def route_named(rt: Runtime, word: str) -> SeparationRoute | None:
    """The route staff name (诉讼, 法院, 劳动仲裁, 行政复议 …), or None."""
    return rt.categoriser.rules.separation_route(word)


def notice(case: Case, route: SeparationRoute) -> str:
    return CITIZEN_SEPARATED.format(number=case.number, route=route.name, body=route.body, limit=route.limit)


async def decline_separated(session: AsyncSession, rt: Runtime, case: Case, person: Person,
                            route: SeparationRoute) -> workflow.Outcome:
    """不予受理 as 诉访分离: the citizen's notice names the body and the time limit to apply."""
    return await workflow.decline(
        session, rt, case, person, REASON.format(route=route.name, body=route.body), notice=notice(case, route),
        data={"separation": route.name, "body": route.body, "limit": route.limit})
