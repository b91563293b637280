"""Staff commands (§3.2): 待办, 详情, 受理, 不予受理, 回复, 转办, 延期, 办结, 分类, 重办.

The router carries the role filter (bound staff, leaders, supervisors and admins), so a route is
one ``@router.handle(command("…"))`` and its text in ``handlers.texts.staff``; the command word is
recorded in ``handlers.commands`` and a citizen typing it is told it is not for them. Handlers parse
the words, resolve ``<案>`` (number or short index) through ``bot.services.case_queries`` and call
``bot.services.workflow``. 登记 is a conversation: ``handlers.flows.walk_in``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot import case_policy as policy
from bot.case_labels import action_label, source_label
from bot.case_policy import ROLE_LABELS, status_label
from bot.dispatch import Context, command, idle, msg_type, role, staff_or_above
from bot.services import attachments, case_queries, separation, workflow
from bot.services.calendar import UNCOVERED_NOTE, deadline_years_uncovered
from bot.services.case_queries import Case, Person
from bot.services.cases import Actor
from bot.services.masking import mask_for_viewer, view_for
from handlers.commands import STAFF, audience_router
from handlers.flows import state as conversation
from handlers.texts import staff as texts
from nlp.normalize import after_words
from nlp.numbers import parse_number

router = audience_router("staff", STAFF, staff_or_above())

TODO_LIMIT = 20


def error_text(outcome: workflow.Outcome, **extra: Any) -> str:
    template = texts.ERRORS.get(outcome.reason, texts.ERRORS["forbidden"])
    case = outcome.case
    values: dict[str, Any] = {"number": case.number if case else "", **outcome.detail, **extra}
    if "status" in values:
        values["status"] = status_label(values["status"])
    if "categories" in values:
        values["categories"] = "、".join(values["categories"])
    return template.format_map(_Blank(values))


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


async def with_case(ctx: Context, min_args: int,
                     body: Callable[[Case, list[str]], Awaitable[str]]) -> str:
    """Common shape of ``<命令> <案> …``: usage on too few words, one reply for unknown or hidden."""
    if len(ctx.args) < min_args:
        return texts.USAGE.get(ctx.command, texts.STAFF_HELP)
    case = await case_for(ctx, ctx.args[0])
    if case is None:
        return texts.NOT_FOUND
    return await body(case, ctx.args[1:])


async def case_for(ctx: Context, ref: str) -> Case | None:
    """The case ``ref`` (a number, or an index into the last list shown) names for the sender."""
    return await case_queries.case_for(ctx.session, ctx.person, ref, conversation.last_list(ctx))


def typed(ctx: Context, skip: int) -> str:
    """The message after its first ``skip`` words, exactly as typed (text as typed: only matching
    uses the normalised words)."""
    return after_words(ctx.raw_text, skip)


def bound_person(ctx: Context) -> Person:
    assert ctx.person is not None  # the role filter guarantees a bound person
    return ctx.person


# ---- help and lists ------------------------------------------------------------------------------

@router.handle(command("帮助", "help", "?", "？"))
async def staff_help(ctx: Context) -> str | None:
    text = texts.STAFF_HELP
    if ctx.role in ("leader", "admin"):
        text += texts.LEADER_HELP
    if ctx.role in ("supervisor", "admin"):
        text += texts.SUPERVISOR_HELP
    return text


def _due(case: Case) -> tuple[str, Any]:
    kind, due = policy.running_deadline(case)
    return (texts.DUE_ACK, due) if kind == "ack" else (texts.DUE_RESOLVE, due)


@router.handle(command("待办"))
async def todo(ctx: Context) -> str | None:
    person = bound_person(ctx)
    cases = await case_queries.todo_cases(ctx.session, person)
    shown = cases[:TODO_LIMIT]
    conversation.remember_list(ctx, [c.id for c in shown])
    if not shown:
        return texts.TODO_EMPTY
    now = ctx.rt.now()
    lines = [texts.TODO_HEADER.format(count=len(cases))]
    for index, case in enumerate(shown, 1):
        label, due = _due(case)
        flags = ""
        if due is not None and due < now:
            flags += texts.OVERDUE_FLAG
        if case.group_risk or case.urgent_flags:
            flags += texts.URGENT_FLAG
        if case.leader_id is not None:
            flags += texts.LEADER_FLAG
        lines.append(texts.TODO_LINE.format(
            index=index, number=case.number, status=status_label(case.status),
            title=view_for(person, case).title, dept=case.department.name, due_label=label,
            due=workflow.fmt_date(ctx.rt, due), flags=flags))
    if len(cases) > len(shown):
        lines.append(texts.TODO_MORE.format(more=len(cases) - len(shown)))
    return "\n".join(lines)


def _event_log(ctx: Context, events: list, case: Case, viewer: Person) -> str:
    lines = []
    for event in events:
        actor = ROLE_LABELS.get(event.actor_role, event.actor_role)
        if event.actor is not None:
            actor = workflow.who(event.actor)
        shown = event.text
        if event.actor_role == "citizen":  # the reporter's own words (补充, 评价理由) may name them
            shown = mask_for_viewer(viewer, case, shown)
        text = f"：{shown}" if shown and event.action != "register" else ""
        lines.append(texts.LOG_LINE.format(
            at=event.at.astimezone(ctx.rt.tz).strftime("%m-%d %H:%M"), actor=actor,
            action=action_label(event.action), text=text))
    return "\n".join(lines)


def _intake_notes(ctx: Context, case: Case, events: list) -> str:
    """What intake found that staff must weigh: the triage reason, the 诉访分离 route, and a
    working-day deadline counted through a year with no holiday list."""
    notes = ""
    for event in events:
        if event.action == "triage_reason" and event.text:
            notes += texts.NOTE_TRIAGE.format(reason=event.text)
        elif event.action == "separation_suggested" and event.text and case.status in policy.OPEN_STATUSES:
            route = event.text.split("（", 1)[0]
            notes += texts.NOTE_SEPARATION.format(route=event.text, number=case.number, word=route)
    years = deadline_years_uncovered(ctx.rt, case)
    if years:
        notes += texts.NOTE_HOLIDAYS.format(note=UNCOVERED_NOTE, years="、".join(str(y) for y in years))
    return notes


@router.handle(command("详情"))
async def detail(ctx: Context) -> str | None:
    async def body(case: Case, _: list[str]) -> str:
        person = bound_person(ctx)
        # 检举控告类: the reporter's identity stays with the 信访 office and the supervisor (条例 art. 30).
        view = view_for(person, case)
        events = await case_queries.case_log(ctx.session, case)
        extra = _intake_notes(ctx, case, events)
        if case.extension_days:
            extra += f"延期：{case.extension_days}天（{case.extension_reason}）\n"
        if case.result:
            extra += f"办理结果：{case.result}\n"
        if case.decline_reason:
            extra += f"不予受理理由：{case.decline_reason}\n"
        if case.satisfaction:
            extra += f"满意度：{case.satisfaction}\n"
        return texts.DETAIL.format(
            number=case.number, status=status_label(case.status), title=view.title,
            content=view.content, group=case.category_group, category=case.category, kind=case.kind,
            dept=case.department.name, source=source_label(case.source),
            citizen=view.citizen_name or ("微信用户" if case.citizen_openid else "—"),
            phone=view.phone or "—", location=view.location or "—",
            owner=workflow.who(case.owner) if case.owner else "—",
            leader=workflow.who(case.leader) if case.leader else "—",
            ack_due=workflow.fmt_date(ctx.rt, case.ack_due_at),
            resolve_due=workflow.fmt_date(ctx.rt, case.resolve_due_at),
            extra=extra + await _attachment_list(ctx, case), log=_event_log(ctx, events, case, person))

    return await with_case(ctx, 1, body)


async def _attachment_list(ctx: Context, case: Case) -> str:
    listed = await attachments.lines(ctx.session, ctx.rt, case)
    if not listed:
        return ""
    rows = []
    for line in listed:
        heard = f"，识别：{line.recognition}" if line.recognition else ""
        rows.append(texts.ATTACHMENT_LINE.format(index=line.index, label=line.label, at=f"{line.at:%m-%d %H:%M}",
                                                 heard=heard, state=texts.ATTACHMENT_STATES[line.state]))
    return texts.ATTACHMENTS.format(count=len(listed), lines="\n".join(rows), number=case.number)


@router.handle(command("附件"))
async def send_attachments(ctx: Context) -> str | None:
    """``附件 <案> [n]``: the case's photos and voice messages, sent to this officer in chat."""
    async def body(case: Case, rest: list[str]) -> str:
        index = _int(rest[0]) if rest else None
        if rest and index is None:
            return texts.USAGE["附件"]
        outcome = await attachments.send_to(ctx.session, ctx.rt, case, bound_person(ctx), index)
        if not outcome.ok:
            return texts.ATTACHMENT_ERRORS[outcome.reason].format(number=case.number, count=outcome.more)
        sent = "、".join(f"{line.index}（{line.label}{'：' + line.recognition if line.recognition else ''}）"
                        for line in outcome.queued or [])
        reply = texts.ATTACHMENTS_SENT.format(number=case.number, sent=sent)
        if outcome.more:
            reply += texts.ATTACHMENTS_MORE.format(more=outcome.more, number=case.number)
        return reply

    return await with_case(ctx, 1, body)


# ---- actions -------------------------------------------------------------------------------------

def _int(word: str) -> int | None:
    return parse_number(word)


@router.handle(command("受理"))
async def accept(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        days = _int(rest[0]) if rest else None
        if rest and days is None:
            return texts.USAGE["受理"]
        outcome = await workflow.accept(ctx.session, ctx.rt, case, bound_person(ctx), days)
        if not outcome.ok:
            return error_text(outcome)
        if case.owner is not None and case.owner_id != bound_person(ctx).id:
            return texts.ACCEPTED_NOT_OWNER.format(number=case.number, due=outcome.detail["due"],
                                                   owner=workflow.who(case.owner))
        return texts.ACCEPTED.format(number=case.number, due=outcome.detail["due"])

    return await with_case(ctx, 1, body)


@router.handle(command("不予受理"))
async def decline(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        if rest and rest[0] == separation.COMMAND_WORD:
            return await _decline_separated(ctx, case, rest[1:])
        outcome = await workflow.decline(ctx.session, ctx.rt, case, bound_person(ctx), typed(ctx, 2))
        return texts.DECLINED.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 2, body)


async def _decline_separated(ctx: Context, case: Case, words: list[str]) -> str:
    route = separation.route_named(ctx.rt, words[0]) if words else None
    if route is None:
        known = separation.routes(ctx.rt)
        problem = texts.SEPARATION_UNKNOWN.format(word=words[0]) if words else texts.SEPARATION_MISSING
        return texts.SEPARATION_ROUTES.format(
            problem=problem, number=case.number, routes="、".join(f"{r.name}（{r.body}）" for r in known),
            first=known[0].name if known else "诉讼")
    outcome = await separation.decline_separated(ctx.session, ctx.rt, case, bound_person(ctx), route)
    if not outcome.ok:
        return error_text(outcome)
    if outcome.detail.get("has_citizen"):
        return texts.DECLINED_SEPARATED.format(number=case.number, route=route.name, body=route.body)
    return texts.DECLINED_SEPARATED_NO_CITIZEN.format(number=case.number, notice=outcome.detail["notice"])


@router.handle(command("回复"))
async def reply(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        outcome = await workflow.reply(ctx.session, ctx.rt, case, bound_person(ctx), typed(ctx, 2))
        if not outcome.ok:
            return error_text(outcome)
        template = texts.REPLIED if outcome.detail.get("has_citizen") else texts.REPLIED_NO_CITIZEN
        return template.format(number=case.number)

    return await with_case(ctx, 2, body)


@router.handle(command("转办"))
async def transfer(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        if len(rest) < 2:
            return texts.USAGE["转办"]
        outcome = await workflow.transfer(ctx.session, ctx.rt, case, bound_person(ctx), rest[0], typed(ctx, 3))
        if outcome.ok and outcome.detail.get("ruling"):
            return texts.RULED_STAYS.format(number=case.number, dept=outcome.detail["department"])
        if outcome.ok:
            return texts.TRANSFERRED.format(number=case.number, dept=outcome.detail["department"])
        names = "、".join(await case_queries.department_names(ctx.session))
        return error_text(outcome, departments=names)

    return await with_case(ctx, 2, body)


@router.handle(command("延期"))
async def extend(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        days = _int(rest[0])
        if days is None or len(rest) < 2:
            return texts.USAGE["延期"]
        outcome = await workflow.extend(ctx.session, ctx.rt, case, bound_person(ctx), days, typed(ctx, 3))
        if not outcome.ok:
            return error_text(outcome)
        return texts.EXTENDED.format(number=case.number, days=days, due=outcome.detail["due"])

    return await with_case(ctx, 3, body)


@router.handle(command("办结"))
async def resolve(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        outcome = await workflow.resolve(ctx.session, ctx.rt, case, bound_person(ctx), typed(ctx, 2))
        return texts.RESOLVED.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 2, body)


@router.handle(command("分类"))
async def recategorise(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        new = " ".join(rest)
        outcome = await workflow.recategorise(ctx.session, ctx.rt, case, bound_person(ctx), new)
        if not outcome.ok:
            return error_text(outcome)
        return texts.RECATEGORISED.format(number=case.number, old=outcome.detail["old"], new=new,
                                          group=outcome.detail["group"])

    return await with_case(ctx, 2, body)


@router.handle(idle(), command("取消"))
async def nothing_to_cancel(ctx: Context) -> str | None:
    return texts.NOTHING_TO_CANCEL


# Supervisors reopen resolved cases (§2); the citizen's 不满意 rating reopens through the rating flow.
@router.handle(role(*policy.REOPEN_ROLES), command("重办"))
async def reopen(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        person = bound_person(ctx)
        outcome = await workflow.reopen(ctx.session, ctx.rt, case, actor=Actor.of(person),
                                        reason=typed(ctx, 2), person=person)
        return texts.REOPENED.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 2, body)


# Included after every other role router and before the citizen one: a bound officer's message
# that no command matched gets the staff help instead of starting a citizen report.
fallback_router = audience_router("staff-fallback", STAFF, staff_or_above())


@fallback_router.handle(idle(), msg_type("text", "voice"))
async def unknown_command(ctx: Context) -> str | None:
    return texts.UNKNOWN_COMMAND + "\n" + (await staff_help(ctx) or "")
