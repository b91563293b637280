"""大下访 campaign commands (§9).

Staff, leaders and 督查室: ``活动`` (current phase and figures), ``排查`` (a short conversation:
content → place → people involved → risk level → kind → a campaign case), ``下访记录 <场次>``
(people met → new problems → cases closed on the spot), ``回头看 <案> 已解决|反弹 <说明>`` and
``答复建议 <编号> 采纳|部分采纳|留作参考 <内容>``. Citizens: ``建议`` while a campaign is in
集中下访 sends a 三问 suggestion. Conversation states are ``campaign_*``; each flow reads like a
table: one handler per state, 取消 in all of them.
"""

from __future__ import annotations

from bot.dispatch import Context, Router, click, command, msg_type, role, staff_or_above, state
from bot.menu import KEY_SUGGEST
from bot.services import campaign as svc
from bot.services import campaign_work as work
from bot.services import case_lookup, conversation, workflow
from bot.services.cases import STATUS_LABELS
from handlers.texts import campaign as texts
from nlp.normalize import normalize
from nlp.numbers import first_number, parse_number
from storage.models import Case, Person
from storage.models.campaign import ADOPTIONS, REVIEW_RESULTS, RISK_LEVELS
from storage.models.reception import ReceptionSession

router = Router("campaign")

CONTENT, PLACE, PEOPLE, RISK, KIND = ("campaign_content", "campaign_place", "campaign_people", "campaign_risk",
                                      "campaign_kind")
REGISTER_STATES = (CONTENT, PLACE, PEOPLE, RISK, KIND)
VISIT_PEOPLE, VISIT_NEW, VISIT_CLOSED = "campaign_visit_people", "campaign_visit_new", "campaign_visit_closed"
VISIT_STATES = (VISIT_PEOPLE, VISIT_NEW, VISIT_CLOSED)
SUGGEST = "campaign_suggest"
# The citizen menu button (``xinfang menu``) that opens the 三问 suggestion box.
SUGGEST_MENU_KEY = KEY_SUGGEST
CANCEL_WORDS = ("取消", "放弃")
SKIP_WORDS = frozenset({"跳过", "无", "没有", "不清楚"})
MIN_CONTENT = 6


def _person(ctx: Context) -> Person:
    assert ctx.person is not None  # role filters guarantee a bound person
    return ctx.person


def _error(outcome: workflow.Outcome) -> str:
    template = texts.ERRORS.get(outcome.reason, texts.ERRORS["forbidden"])
    values = {"number": outcome.case.number if outcome.case else "", **outcome.detail}
    if "status" in values:
        values["status"] = STATUS_LABELS.get(values["status"], values["status"])
    return template.format(**values) if "{" in template else template


def _raw_lines(ctx: Context) -> list[str]:
    """Lines as typed (the normalised text has its newlines folded into spaces)."""
    raw = ctx.fields.get("Content") or ctx.fields.get("Recognition") or ""
    return [line for line in (normalize(part) for part in str(raw).splitlines()) if line]


# ---- 活动 -----------------------------------------------------------------------------------------

@router.handle(staff_or_above(), command("活动"))
async def status(ctx: Context) -> str | None:
    person = _person(ctx)
    now = await svc.current(ctx.session, ctx.rt)
    if now is None:
        return texts.NO_CAMPAIGN
    lines = [texts.STATUS_HEAD.format(campaign=now.campaign.name, first=now.first.isoformat(),
                                      last=now.last.isoformat(),
                                      phase=now.phase.name if now.phase else texts.STATUS_BETWEEN)]
    for phase in now.phases:
        mark = "▶ " if now.phase is not None and phase.id == now.phase.id else "  "
        lines.append(texts.STATUS_PHASE_LINE.format(mark=mark, name=phase.name, start=phase.starts_on.isoformat(),
                                                    end=phase.ends_on.isoformat()))
    everyone = person.role in ("supervisor", "admin")
    for cd, figures in await svc.figures_by_department(ctx.session, ctx.rt, now.campaign):
        if everyone or cd.department_id == person.department_id:
            lines.append(texts.STATUS_DEPT.format(dept=cd.department.name,
                                                  leader=cd.leader.name if cd.leader else "—",
                                                  **svc.figure_values(figures)))
    visits = await work.visits_of(ctx.session, now.campaign.id)
    if visits:
        lines.append(texts.STATUS_VISITS)
        for visit in visits:
            s = await ctx.session.get(ReceptionSession, visit.reception_session_id)
            lines.append(texts.STATUS_VISIT_LINE.format(
                id=visit.id, day=visit.day.isoformat(), form=visit.form, place=s.place if s else "",
                recorded="（已记录）" if visit.recorded_at else ""))
    suggestions = await work.suggestions_of(ctx.session, now.campaign.id)
    if suggestions:
        lines.append(texts.STATUS_SUGGESTIONS.format(total=len(suggestions),
                                                     pending=sum(s.adoption is None for s in suggestions)))
    lines.append(texts.STATUS_HINT)
    return "\n".join(lines)


# ---- 排查 conversation ----------------------------------------------------------------------------

@router.handle(staff_or_above(), state(*REGISTER_STATES), command(*CANCEL_WORDS))
async def register_cancel(ctx: Context) -> str | None:
    await conversation.reset(ctx)
    return texts.CANCELLED


@router.handle(staff_or_above(), command("排查"))
async def register_start(ctx: Context) -> str | None:
    if await svc.current(ctx.session, ctx.rt) is None:
        return texts.NO_CAMPAIGN
    content = " ".join(ctx.args)
    if len(content) >= MIN_CONTENT:
        await conversation.set_state(ctx, PLACE, {"content": content})
        return texts.ASK_PLACE
    await conversation.set_state(ctx, CONTENT, {})
    return texts.ASK_CONTENT


@router.handle(staff_or_above(), state(CONTENT), msg_type("text", "voice"))
async def register_content(ctx: Context) -> str | None:
    if len(ctx.text) < MIN_CONTENT:
        return texts.TOO_SHORT
    await conversation.set_state(ctx, PLACE, {"content": ctx.text})
    return texts.ASK_PLACE


@router.handle(staff_or_above(), state(PLACE), msg_type("text", "voice", "location"))
async def register_place(ctx: Context) -> str | None:
    if ctx.msg_type == "location":
        place = ctx.fields.get("Label") or f"{ctx.fields.get('Location_X')},{ctx.fields.get('Location_Y')}"
    else:
        place = None if ctx.text in SKIP_WORDS else ctx.text
    await conversation.update_data(ctx, place=place)
    await conversation.set_state(ctx, PEOPLE, (await conversation.load(ctx)).data)
    return texts.ASK_PEOPLE


@router.handle(staff_or_above(), state(PEOPLE), msg_type("text", "voice"))
async def register_people(ctx: Context) -> str | None:
    people: int | None = None
    if ctx.text not in SKIP_WORDS:
        people = first_number(ctx.text)
        if people is None:
            return texts.BAD_PEOPLE
    data = {**(await conversation.load(ctx)).data, "people": people}
    await conversation.set_state(ctx, RISK, data)
    return texts.ASK_RISK


@router.handle(staff_or_above(), state(RISK), msg_type("text", "voice"))
async def register_risk(ctx: Context) -> str | None:
    risk = ctx.text.removesuffix("风险")
    if risk not in RISK_LEVELS:
        return texts.BAD_RISK
    data = {**(await conversation.load(ctx)).data, "risk": risk}
    await conversation.set_state(ctx, KIND, data)
    return texts.ASK_KIND


@router.handle(staff_or_above(), state(KIND), msg_type("text", "voice"))
async def register_kind(ctx: Context) -> str | None:
    answer = ctx.text
    picked = parse_number(answer, low=1, high=len(texts.PROBLEM_KINDS))
    if picked is not None:
        kind = texts.PROBLEM_KINDS[picked - 1]
    elif answer:
        kind = answer[:32]
    else:
        return texts.ASK_KIND
    data = (await conversation.load(ctx)).data
    await conversation.reset(ctx)
    outcome = await work.chat_register(ctx.session, ctx.rt, _person(ctx), content=data["content"],
                                       place=data.get("place"), people=data.get("people"), risk=data["risk"],
                                       problem_kind=kind)
    if not outcome.ok or outcome.case is None:
        return _error(outcome)
    case = outcome.case
    await conversation.remember_list(ctx.session, ctx, [case.id])
    reply = texts.REGISTERED.format(number=case.number, title=case.title, campaign=outcome.detail["campaign"],
                                    dept=outcome.detail["department"], risk=data["risk"], kind=kind,
                                    due=outcome.detail["due"])
    return reply + ("\n" + texts.MAJOR_SENT if data["risk"] == "重大" else "")


# ---- 下访记录 -------------------------------------------------------------------------------------

@router.handle(staff_or_above(), state(*VISIT_STATES), command(*CANCEL_WORDS))
async def visit_cancel(ctx: Context) -> str | None:
    await conversation.reset(ctx)
    return texts.VISIT_CANCELLED


@router.handle(staff_or_above(), command("下访记录"))
async def visit_start(ctx: Context) -> str | None:
    visit_id = parse_number(ctx.args[0].lstrip("场次")) if ctx.args else None
    if visit_id is None:
        return texts.VISIT_USAGE
    visit = await work.visit_for(ctx.session, _person(ctx), visit_id)
    if visit is None:
        return texts.VISIT_NOT_FOUND.format(id=visit_id)
    s = await ctx.session.get(ReceptionSession, visit.reception_session_id)
    numbers = []
    for case_id in visit.case_ids or []:
        case = await ctx.session.get(Case, case_id)
        if case is not None:
            numbers.append(f"{case.number}（{STATUS_LABELS.get(case.status, case.status)}）")
    await conversation.set_state(ctx, VISIT_PEOPLE, {"visit_id": visit.id})
    return texts.VISIT_ASK_PEOPLE.format(id=visit.id, day=visit.day.isoformat(), form=visit.form,
                                         place=s.place if s else "", cases="、".join(numbers) or "—")


@router.handle(staff_or_above(), state(VISIT_PEOPLE), msg_type("text", "voice"))
async def visit_people(ctx: Context) -> str | None:
    people = first_number(ctx.text)
    if people is None:
        return texts.VISIT_BAD_PEOPLE
    data = {**(await conversation.load(ctx)).data, "people": people}
    await conversation.set_state(ctx, VISIT_NEW, data)
    return texts.VISIT_ASK_NEW


@router.handle(staff_or_above(), state(VISIT_NEW), msg_type("text", "voice"))
async def visit_new(ctx: Context) -> str | None:
    lines = [] if ctx.text in SKIP_WORDS else _raw_lines(ctx)
    if any(len(line) < MIN_CONTENT for line in lines):
        return texts.TOO_SHORT
    data = {**(await conversation.load(ctx)).data, "new": lines}
    await conversation.set_state(ctx, VISIT_CLOSED, data)
    return texts.VISIT_ASK_CLOSED


@router.handle(staff_or_above(), state(VISIT_CLOSED), msg_type("text", "voice"))
async def visit_closed(ctx: Context) -> str | None:
    person = _person(ctx)
    closed: list[tuple[Case, str]] = []
    if ctx.text not in SKIP_WORDS:
        for i, line in enumerate(_raw_lines(ctx), 1):
            words = line.split(maxsplit=1)
            case = await case_lookup.resolve(ctx, words[0]) if len(words) == 2 else None
            if case is None:
                return texts.VISIT_BAD_CLOSED.format(line=i, text=line)
            closed.append((case, words[1]))
    data = (await conversation.load(ctx)).data
    await conversation.reset(ctx)
    visit = await work.visit_for(ctx.session, person, int(data["visit_id"]))
    if visit is None:
        return texts.VISIT_NOT_FOUND.format(id=data["visit_id"])
    outcome = await work.record_visit(ctx.session, ctx.rt, person, visit, people_met=int(data["people"]),
                                      new_problems=list(data.get("new") or []), closed=closed)
    if not outcome.ok:
        return _error(outcome)
    numbers = {}
    for key in ("new", "closed"):
        found = [c.number for c in [await ctx.session.get(Case, i) for i in outcome.detail[key]] if c is not None]
        numbers[key] = f"（{'、'.join(found)}）" if found else ""
    reply = texts.VISIT_DONE.format(id=visit.id, people=data["people"], new=len(outcome.detail["new"]),
                                    new_numbers=numbers["new"], closed=len(outcome.detail["closed"]),
                                    closed_numbers=numbers["closed"])
    if outcome.detail["failed"]:
        items = "、".join(f"{n}（{texts.ERRORS.get(r, r)}）" for n, r in outcome.detail["failed"])
        reply += texts.VISIT_FAILED.format(items=items)
    return reply


# ---- 回头看 and 答复建议 ---------------------------------------------------------------------------

@router.handle(staff_or_above(), command("回头看"))
async def review(ctx: Context) -> str | None:
    if len(ctx.args) < 2 or ctx.args[1] not in REVIEW_RESULTS:
        return texts.REVIEW_USAGE
    case = await case_lookup.resolve(ctx, ctx.args[0])
    if case is None:
        return texts.ERRORS["not_found"]
    result, note = ctx.args[1], " ".join(ctx.args[2:])
    outcome = await work.review_case(ctx.session, ctx.rt, _person(ctx), case, result, note)
    if not outcome.ok:
        return _error(outcome)
    return (texts.REVIEW_REBOUND if result == "反弹" else texts.REVIEW_DONE).format(number=case.number)


@router.handle(staff_or_above(), command("答复建议"))
async def answer(ctx: Context) -> str | None:
    if len(ctx.args) < 3 or ctx.args[1] not in ADOPTIONS:
        return texts.ANSWER_USAGE
    outcome = await work.answer_suggestion(ctx.session, ctx.rt, _person(ctx), ctx.args[0], ctx.args[1],
                                           " ".join(ctx.args[2:]))
    if not outcome.ok or outcome.case is None:
        return _error(outcome)
    return texts.ANSWER_DONE.format(number=outcome.case.number, adoption=ctx.args[1])


# ---- citizens: 建议 ------------------------------------------------------------------------------

@router.handle(role("citizen"), state(SUGGEST), command(*CANCEL_WORDS))
async def suggest_cancel(ctx: Context) -> str | None:
    await conversation.reset(ctx)
    return texts.SUGGEST_CANCELLED


@router.handle(role("citizen"), command("建议", "我要建议", "提建议"))
@router.handle(role("citizen"), click(SUGGEST_MENU_KEY))
async def suggest_start(ctx: Context) -> str | None:
    now = await work.suggestions_open(ctx.session, ctx.rt)
    if now is None:
        return texts.SUGGEST_CLOSED
    content = " ".join(ctx.args)
    if len(content) >= MIN_CONTENT:
        return await _suggest(ctx, content)
    await conversation.set_state(ctx, SUGGEST, {})
    return texts.SUGGEST_ASK.format(campaign=now.campaign.name)


@router.handle(role("citizen"), state(SUGGEST), msg_type("text", "voice"))
async def suggest_content(ctx: Context) -> str | None:
    if len(ctx.text) < MIN_CONTENT:
        return texts.SUGGEST_TOO_SHORT
    await conversation.reset(ctx)
    return await _suggest(ctx, ctx.text)


async def _suggest(ctx: Context, content: str) -> str:
    outcome = await work.submit_suggestion(ctx.session, ctx.rt, ctx.openid, content)
    if not outcome.ok or outcome.case is None:
        return texts.SUGGEST_CLOSED
    return texts.SUGGEST_DONE.format(number=outcome.case.number, dept=outcome.detail["department"])
