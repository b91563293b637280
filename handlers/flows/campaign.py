"""大下访 campaign conversations (§9): 排查 and 下访记录 for officers, 建议 for citizens.

- 排查 [内容]: content → place → people involved → risk level → kind → a campaign case
  (``bot.services.campaign_work.chat_register``).
- 下访记录 <场次>: people met → new problems (one per line) → cases closed on the spot
  (``<案> 结果`` per line) → ``campaign_work.record_visit``.
- 建议 (while a campaign is in 集中下访): a citizen's 三问 suggestion, filed as a 建议意见类 case.

取消 ends any of them. The officers' flows are spliced into ``handlers.campaign``'s router, between
活动 and 回头看, so their order against those commands is fixed there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.case_policy import status_label
from bot.dispatch import Context, click, command, msg_type, role, staff_or_above
from bot.menu import KEY_SUGGEST
from bot.services import campaign as svc
from bot.services import campaign_work as work
from bot.services import case_queries, workflow
from bot.services.case_queries import Person
from handlers.commands import CITIZEN, STAFF
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.flows.state import FlowData
from handlers.texts import campaign as texts
from nlp.normalize import normalize
from nlp.numbers import first_number, parse_number

CANCEL_WORDS = ("取消", "放弃")
SKIP_WORDS = frozenset({"跳过", "无", "没有", "不清楚"})
MIN_CONTENT = 6
TEXT = msg_type("text", "voice")


def person_of(ctx: Context) -> Person:
    assert ctx.person is not None  # role filters guarantee a bound person
    return ctx.person


def error_text(outcome: workflow.Outcome) -> str:
    template = texts.ERRORS.get(outcome.reason, texts.ERRORS["forbidden"])
    values = {"number": outcome.case.number if outcome.case else "", **outcome.detail}
    if "status" in values:
        values["status"] = status_label(values["status"])
    return template.format(**values) if "{" in template else template


def _raw_lines(ctx: Context) -> list[str]:
    """Lines as typed (the normalised text has its newlines folded into spaces)."""
    return [line for line in (normalize(part) for part in ctx.raw_text.splitlines()) if line]


# ---- 排查 -----------------------------------------------------------------------------------------

class SurveyState(StrEnum):
    CONTENT = "campaign_content"
    PLACE = "campaign_place"
    PEOPLE = "campaign_people"
    RISK = "campaign_risk"
    KIND = "campaign_kind"


@dataclass
class SurveyData(FlowData):
    content: str = ""
    place: str | None = None
    people: int | None = None
    risk: str = ""


async def survey_cancel(ctx: Context) -> str | None:
    conversation.reset(ctx)
    return texts.CANCELLED


async def survey_start(ctx: Context) -> str | None:
    if await svc.current(ctx.session, ctx.rt) is None:
        return texts.NO_CAMPAIGN
    content = " ".join(ctx.args)
    if len(content) >= MIN_CONTENT:
        conversation.enter(ctx, SurveyState.PLACE, SurveyData(content=content))
        return texts.ASK_PLACE
    conversation.enter(ctx, SurveyState.CONTENT, SurveyData())
    return texts.ASK_CONTENT


async def survey_content(ctx: Context) -> str | None:
    if len(ctx.text) < MIN_CONTENT:
        return texts.TOO_SHORT
    conversation.enter(ctx, SurveyState.PLACE, SurveyData(content=ctx.text))
    return texts.ASK_PLACE


async def survey_place(ctx: Context) -> str | None:
    data = conversation.load(ctx, SurveyData)
    if ctx.msg_type == "location":
        f = ctx.fields
        data.place = f.get("Label") or f"{f.get('Location_X')},{f.get('Location_Y')}"
    else:
        data.place = None if ctx.text in SKIP_WORDS else ctx.text
    conversation.enter(ctx, SurveyState.PEOPLE, data)
    return texts.ASK_PEOPLE


async def survey_people(ctx: Context) -> str | None:
    people: int | None = None
    if ctx.text not in SKIP_WORDS:
        people = first_number(ctx.text)
        if people is None:
            return texts.BAD_PEOPLE
    data = conversation.load(ctx, SurveyData)
    data.people = people
    conversation.enter(ctx, SurveyState.RISK, data)
    return texts.ASK_RISK


async def survey_risk(ctx: Context) -> str | None:
    risk = ctx.text.removesuffix("风险")
    if risk not in work.RISK_LEVELS:
        return texts.BAD_RISK
    data = conversation.load(ctx, SurveyData)
    data.risk = risk
    conversation.enter(ctx, SurveyState.KIND, data)
    return texts.ASK_KIND


async def survey_kind(ctx: Context) -> str | None:
    answer = ctx.text
    picked = parse_number(answer, low=1, high=len(texts.PROBLEM_KINDS))
    if picked is not None:
        kind = texts.PROBLEM_KINDS[picked - 1]
    elif answer:
        kind = answer[:32]
    else:
        return texts.ASK_KIND
    data = conversation.load(ctx, SurveyData)
    conversation.reset(ctx)
    outcome = await work.chat_register(ctx.session, ctx.rt, person_of(ctx), content=data.content,
                                       place=data.place, people=data.people, risk=data.risk, problem_kind=kind)
    if not outcome.ok or outcome.case is None:
        return error_text(outcome)
    case = outcome.case
    conversation.remember_list(ctx, [case.id])
    reply = texts.REGISTERED.format(number=case.number, title=case.title, campaign=outcome.detail["campaign"],
                                    dept=outcome.detail["department"], risk=data.risk, kind=kind,
                                    due=outcome.detail["due"])
    return reply + ("\n" + texts.MAJOR_SENT if data.risk == "重大" else "")


SURVEY = Flow(
    "survey", SurveyState, audience=STAFF, router_filters=[staff_or_above()],
    entry_points=[Step(survey_start, command("排查"))],
    states={
        SurveyState.CONTENT: [Step(survey_content, TEXT)],
        SurveyState.PLACE: [Step(survey_place, msg_type("text", "voice", "location"))],
        SurveyState.PEOPLE: [Step(survey_people, TEXT)],
        SurveyState.RISK: [Step(survey_risk, TEXT)],
        SurveyState.KIND: [Step(survey_kind, TEXT)],
    },
    fallbacks=[Step(survey_cancel, command(*CANCEL_WORDS))],
)


# ---- 下访记录 -------------------------------------------------------------------------------------

class VisitState(StrEnum):
    PEOPLE = "campaign_visit_people"
    NEW = "campaign_visit_new"
    CLOSED = "campaign_visit_closed"


@dataclass
class VisitData(FlowData):
    visit_id: int = 0
    people: int = 0
    new: list[str] = field(default_factory=list)


async def visit_cancel(ctx: Context) -> str | None:
    conversation.reset(ctx)
    return texts.VISIT_CANCELLED


async def visit_start(ctx: Context) -> str | None:
    visit_id = parse_number(ctx.args[0].lstrip("场次")) if ctx.args else None
    if visit_id is None:
        return texts.VISIT_USAGE
    visit = await work.visit_for(ctx.session, person_of(ctx), visit_id)
    if visit is None:
        return texts.VISIT_NOT_FOUND.format(id=visit_id)
    carried = await case_queries.cases_by_ids(ctx.session, list(visit.case_ids or []))
    by_id = {c.id: c for c in carried}
    numbers = [f"{c.number}（{status_label(c.status)}）" for c in (by_id.get(i) for i in visit.case_ids or []) if c]
    conversation.enter(ctx, VisitState.PEOPLE, VisitData(visit_id=visit.id))
    return texts.VISIT_ASK_PEOPLE.format(id=visit.id, day=visit.day.isoformat(), form=visit.form,
                                         place=await work.visit_place(ctx.session, visit),
                                         cases="、".join(numbers) or "—")


async def visit_people(ctx: Context) -> str | None:
    people = first_number(ctx.text)
    if people is None:
        return texts.VISIT_BAD_PEOPLE
    data = conversation.load(ctx, VisitData)
    data.people = people
    conversation.enter(ctx, VisitState.NEW, data)
    return texts.VISIT_ASK_NEW


async def visit_new(ctx: Context) -> str | None:
    lines = [] if ctx.text in SKIP_WORDS else _raw_lines(ctx)
    if any(len(line) < MIN_CONTENT for line in lines):
        return texts.TOO_SHORT
    data = conversation.load(ctx, VisitData)
    data.new = lines
    conversation.enter(ctx, VisitState.CLOSED, data)
    return texts.VISIT_ASK_CLOSED


async def visit_closed(ctx: Context) -> str | None:
    person = person_of(ctx)
    closed: list[tuple[Any, str]] = []
    if ctx.text not in SKIP_WORDS:
        for i, line in enumerate(_raw_lines(ctx), 1):
            words = line.split(maxsplit=1)
            case = await case_queries.case_for(ctx.session, person, words[0], conversation.last_list(ctx)) \
                if len(words) == 2 else None
            if case is None:
                return texts.VISIT_BAD_CLOSED.format(line=i, text=line)
            closed.append((case, words[1]))
    data = conversation.load(ctx, VisitData)
    conversation.reset(ctx)
    visit = await work.visit_for(ctx.session, person, data.visit_id)
    if visit is None:
        return texts.VISIT_NOT_FOUND.format(id=data.visit_id)
    outcome = await work.record_visit(ctx.session, ctx.rt, person, visit, people_met=data.people,
                                      new_problems=list(data.new), closed=closed)
    if not outcome.ok:
        return error_text(outcome)
    numbers = {}
    for key in ("new", "closed"):
        found = {c.id: c.number for c in await case_queries.cases_by_ids(ctx.session, outcome.detail[key])}
        listed = [found[i] for i in outcome.detail[key] if i in found]
        numbers[key] = f"（{'、'.join(listed)}）" if listed else ""
    reply = texts.VISIT_DONE.format(id=visit.id, people=data.people, new=len(outcome.detail["new"]),
                                    new_numbers=numbers["new"], closed=len(outcome.detail["closed"]),
                                    closed_numbers=numbers["closed"])
    if outcome.detail["failed"]:
        items = "、".join(f"{n}（{texts.ERRORS.get(r, r)}）" for n, r in outcome.detail["failed"])
        reply += texts.VISIT_FAILED.format(items=items)
    return reply


VISIT = Flow(
    "visit-record", VisitState, audience=STAFF, router_filters=[staff_or_above()],
    entry_points=[Step(visit_start, command("下访记录"))],
    states={VisitState.PEOPLE: [Step(visit_people, TEXT)], VisitState.NEW: [Step(visit_new, TEXT)],
            VisitState.CLOSED: [Step(visit_closed, TEXT)]},
    fallbacks=[Step(visit_cancel, command(*CANCEL_WORDS))],
)


# ---- citizens: 建议 ------------------------------------------------------------------------------

class SuggestState(StrEnum):
    CONTENT = "campaign_suggest"


async def suggest_cancel(ctx: Context) -> str | None:
    conversation.reset(ctx)
    return texts.SUGGEST_CANCELLED


async def suggest_start(ctx: Context) -> str | None:
    now = await work.suggestions_open(ctx.session, ctx.rt)
    if now is None:
        return texts.SUGGEST_CLOSED
    content = " ".join(ctx.args)
    if len(content) >= MIN_CONTENT:
        return await _suggest(ctx, content)
    conversation.enter(ctx, SuggestState.CONTENT)
    return texts.SUGGEST_ASK.format(campaign=now.campaign.name)


async def suggest_content(ctx: Context) -> str | None:
    if len(ctx.text) < MIN_CONTENT:
        return texts.SUGGEST_TOO_SHORT
    conversation.reset(ctx)
    return await _suggest(ctx, ctx.text)


async def _suggest(ctx: Context, content: str) -> str:
    outcome = await work.submit_suggestion(ctx.session, ctx.rt, ctx.openid, content)
    if not outcome.ok or outcome.case is None:
        return texts.SUGGEST_CLOSED
    return texts.SUGGEST_DONE.format(number=outcome.case.number, dept=outcome.detail["department"])


SUGGEST = Flow(
    "suggestion", SuggestState, audience=CITIZEN, router_filters=[role("citizen")],
    # The citizen menu button (``xinfang menu``) opens the 三问 suggestion box as the command does.
    entry_points=[Step(suggest_start, click(KEY_SUGGEST)), Step(suggest_start, command("建议", "我要建议", "提建议"))],
    states={SuggestState.CONTENT: [Step(suggest_content, TEXT)]},
    fallbacks=[Step(suggest_cancel, command(*CANCEL_WORDS))],
)
