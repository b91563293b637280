"""大下访 campaign commands (§9) for staff, leaders and 督查室: 活动, 回头看, 答复建议.

``活动`` shows the current phase and figures, ``回头看 <案> 已解决|反弹 <说明>`` records a follow-up
verdict and ``答复建议 <编号> 采纳|部分采纳|留作参考 <内容>`` answers a citizen's 三问 suggestion. The
campaign conversations (排查, 下访记录, and the citizens' 建议) are ``handlers.flows.campaign``.
"""

from __future__ import annotations

from bot.case_policy import SEE_ALL_ROLES
from bot.dispatch import Context, command, staff_or_above
from bot.services import campaign as svc
from bot.services import campaign_work as work
from handlers.commands import STAFF, audience_router
from handlers.flows import campaign as flows
from handlers.flows.campaign import error_text, person_of
from handlers.staff import case_for
from handlers.texts import campaign as texts

router = audience_router("campaign", STAFF, staff_or_above())


# ---- 活动 -----------------------------------------------------------------------------------------

@router.handle(command("活动"))
async def status(ctx: Context) -> str | None:
    person = person_of(ctx)
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
    everyone = person.role in SEE_ALL_ROLES
    for cd, figures in await svc.figures_by_department(ctx.session, ctx.rt, now.campaign):
        if everyone or cd.department_id == person.department_id:
            lines.append(texts.STATUS_DEPT.format(dept=cd.department.name,
                                                  leader=cd.leader.name if cd.leader else "—",
                                                  **svc.figure_values(figures)))
    visits = await work.visits_of(ctx.session, now.campaign.id)
    if visits:
        lines.append(texts.STATUS_VISITS)
        for visit in visits:
            lines.append(texts.STATUS_VISIT_LINE.format(
                id=visit.id, day=visit.day.isoformat(), form=visit.form, place=await work.visit_place(ctx.session, visit),
                recorded="（已记录）" if visit.recorded_at else ""))
    suggestions = await work.suggestions_of(ctx.session, now.campaign.id)
    if suggestions:
        lines.append(texts.STATUS_SUGGESTIONS.format(total=len(suggestions),
                                                     pending=sum(s.adoption is None for s in suggestions)))
    lines.append(texts.STATUS_HINT)
    return "\n".join(lines)


# The officers' conversations come between 活动 and the one-line commands below.
router.include(flows.SURVEY.router)
router.include(flows.VISIT.router)


# ---- 回头看 and 答复建议 ---------------------------------------------------------------------------

@router.handle(command("回头看"))
async def review(ctx: Context) -> str | None:
    if len(ctx.args) < 2 or ctx.args[1] not in work.REVIEW_RESULTS:
        return texts.REVIEW_USAGE
    case = await case_for(ctx, ctx.args[0])
    if case is None:
        return texts.ERRORS["not_found"]
    result, note = ctx.args[1], " ".join(ctx.args[2:])
    outcome = await work.review_case(ctx.session, ctx.rt, person_of(ctx), case, result, note)
    if not outcome.ok:
        return error_text(outcome)
    return (texts.REVIEW_REBOUND if result == "反弹" else texts.REVIEW_DONE).format(number=case.number)


@router.handle(command("答复建议"))
async def answer(ctx: Context) -> str | None:
    if len(ctx.args) < 3 or ctx.args[1] not in work.ADOPTIONS:
        return texts.ANSWER_USAGE
    outcome = await work.answer_suggestion(ctx.session, ctx.rt, person_of(ctx), ctx.args[0], ctx.args[1],
                                           " ".join(ctx.args[2:]))
    if not outcome.ok or outcome.case is None:
        return error_text(outcome)
    return texts.ANSWER_DONE.format(number=outcome.case.number, adoption=ctx.args[1])
