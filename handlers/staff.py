"""Staff commands (§3.2): 待办, 详情, 受理, 不予受理, 回复, 转办, 延期, 办结, 分类, 登记.

Every route is filtered to bound staff, leaders, supervisors and admins, so a citizen typing these
words falls through to the citizen router and never learns they exist. Handlers parse the words,
resolve ``<案>`` (number or short index) through ``case_lookup`` and call ``bot.services.workflow``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dispatch import Context, Router, command, msg_type, role, staff_or_above, state
from bot.services import case_lookup, conversation, workflow
from bot.services.cases import ROLE_LABELS, STATUS_LABELS, Actor
from bot.services.masking import mask_for_viewer, view_for
from handlers.texts import staff as texts
from nlp import find_phones
from nlp.numbers import parse_number
from storage.models import Case, CaseEvent, Person
from storage.models.cases import OPEN_STATUSES
from storage.repositories.departments import all_departments

router = Router("staff")

TODO_LIMIT = 20
REGISTER_STATE = "staff_register"


def error_text(outcome: workflow.Outcome, **extra: Any) -> str:
    template = texts.ERRORS.get(outcome.reason, texts.ERRORS["forbidden"])
    case = outcome.case
    values: dict[str, Any] = {"number": case.number if case else "", **outcome.detail, **extra}
    if "status" in values:
        values["status"] = STATUS_LABELS.get(values["status"], values["status"])
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
    case = await case_lookup.resolve(ctx, ctx.args[0])
    if case is None:
        return texts.NOT_FOUND
    return await body(case, ctx.args[1:])


def bound_person(ctx: Context) -> Person:
    assert ctx.person is not None  # the role filter guarantees a bound person
    return ctx.person


# ---- help and lists ------------------------------------------------------------------------------

@router.handle(staff_or_above(), command("帮助", "help", "?", "？"))
async def staff_help(ctx: Context) -> str | None:
    text = texts.STAFF_HELP
    if ctx.role in ("leader", "admin"):
        text += texts.LEADER_HELP
    if ctx.role in ("supervisor", "admin"):
        text += texts.SUPERVISOR_HELP
    return text


def _due(case: Case) -> tuple[str, Any]:
    if case.status == "registered":
        return texts.DUE_ACK, case.ack_due_at
    return texts.DUE_RESOLVE, case.resolve_due_at


async def todo_cases(session: AsyncSession, person: Person) -> list[Case]:
    """Open cases the person may work on, soonest deadline first."""
    rows = list(await session.scalars(
        select(Case).where(Case.status.in_(OPEN_STATUSES), case_lookup.visible_clause(person))))

    def key(case: Case) -> tuple[int, Any, int]:
        due = _due(case)[1]
        return (0 if due is not None else 1, due.timestamp() if due else 0, case.id)

    return sorted(rows, key=key)


@router.handle(staff_or_above(), command("待办"))
async def todo(ctx: Context) -> str | None:
    person = bound_person(ctx)
    cases = await todo_cases(ctx.session, person)
    shown = cases[:TODO_LIMIT]
    await conversation.remember_list(ctx.session, ctx, [c.id for c in shown])
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
            index=index, number=case.number, status=STATUS_LABELS.get(case.status, case.status),
            title=view_for(person, case).title, dept=case.department.name, due_label=label,
            due=workflow.fmt_date(ctx.rt, due), flags=flags))
    if len(cases) > len(shown):
        lines.append(texts.TODO_MORE.format(more=len(cases) - len(shown)))
    return "\n".join(lines)


async def _event_log(ctx: Context, case: Case, viewer: Person) -> str:
    events = list(await ctx.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)))
    ids = {e.actor_id for e in events if e.actor_id}
    names = {p.id: p for p in await ctx.session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    lines = []
    for event in events:
        actor = ROLE_LABELS.get(event.actor_role, event.actor_role)
        if event.actor_id in names:
            actor = workflow.who(names[event.actor_id])
        shown = event.text
        if event.actor_role == "citizen":  # the reporter's own words (补充, 评价理由) may name them
            shown = mask_for_viewer(viewer, case, shown)
        text = f"：{shown}" if shown and event.action != "register" else ""
        lines.append(texts.LOG_LINE.format(
            at=event.at.astimezone(ctx.rt.tz).strftime("%m-%d %H:%M"), actor=actor,
            action=texts.ACTION_LABELS.get(event.action, event.action), text=text))
    return "\n".join(lines)


@router.handle(staff_or_above(), command("详情"))
async def detail(ctx: Context) -> str | None:
    async def body(case: Case, _: list[str]) -> str:
        person = bound_person(ctx)
        # 检举控告类: the reporter's identity stays with the 信访 office and the supervisor (条例 art. 30).
        view = view_for(person, case)
        extra = ""
        if case.extension_days:
            extra += f"延期：{case.extension_days}天（{case.extension_reason}）\n"
        if case.result:
            extra += f"办理结果：{case.result}\n"
        if case.decline_reason:
            extra += f"不予受理理由：{case.decline_reason}\n"
        if case.satisfaction:
            extra += f"满意度：{case.satisfaction}\n"
        return texts.DETAIL.format(
            number=case.number, status=STATUS_LABELS.get(case.status, case.status), title=view.title,
            content=view.content, group=case.category_group, category=case.category, kind=case.kind,
            dept=case.department.name, source=case.source,
            citizen=view.citizen_name or ("微信用户" if case.citizen_openid else "—"),
            phone=view.phone or "—", location=view.location or "—",
            owner=workflow.who(case.owner) if case.owner else "—",
            leader=workflow.who(case.leader) if case.leader else "—",
            ack_due=workflow.fmt_date(ctx.rt, case.ack_due_at),
            resolve_due=workflow.fmt_date(ctx.rt, case.resolve_due_at),
            extra=extra, log=await _event_log(ctx, case, person))

    return await with_case(ctx, 1, body)


# ---- actions -------------------------------------------------------------------------------------

def _int(word: str) -> int | None:
    return parse_number(word)


@router.handle(staff_or_above(), command("受理"))
async def accept(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        days = _int(rest[0]) if rest else None
        if rest and days is None:
            return texts.USAGE["受理"]
        outcome = await workflow.accept(ctx.session, ctx.rt, case, bound_person(ctx), days)
        if not outcome.ok:
            return error_text(outcome)
        return texts.ACCEPTED.format(number=case.number, due=outcome.detail["due"])

    return await with_case(ctx, 1, body)


@router.handle(staff_or_above(), command("不予受理"))
async def decline(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        outcome = await workflow.decline(ctx.session, ctx.rt, case, bound_person(ctx), " ".join(rest))
        return texts.DECLINED.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 2, body)


@router.handle(staff_or_above(), command("回复"))
async def reply(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        outcome = await workflow.reply(ctx.session, ctx.rt, case, bound_person(ctx), " ".join(rest))
        if not outcome.ok:
            return error_text(outcome)
        template = texts.REPLIED if outcome.detail.get("has_citizen") else texts.REPLIED_NO_CITIZEN
        return template.format(number=case.number)

    return await with_case(ctx, 2, body)


@router.handle(staff_or_above(), command("转办"))
async def transfer(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        if len(rest) < 2:
            return texts.USAGE["转办"]
        outcome = await workflow.transfer(ctx.session, ctx.rt, case, bound_person(ctx), rest[0], " ".join(rest[1:]))
        if outcome.ok:
            return texts.TRANSFERRED.format(number=case.number, dept=outcome.detail["department"])
        names = "、".join(d.name for d in await all_departments(ctx.session))
        return error_text(outcome, departments=names)

    return await with_case(ctx, 2, body)


@router.handle(staff_or_above(), command("延期"))
async def extend(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        days = _int(rest[0])
        if days is None or len(rest) < 2:
            return texts.USAGE["延期"]
        outcome = await workflow.extend(ctx.session, ctx.rt, case, bound_person(ctx), days, " ".join(rest[1:]))
        if not outcome.ok:
            return error_text(outcome)
        return texts.EXTENDED.format(number=case.number, days=days, due=outcome.detail["due"])

    return await with_case(ctx, 3, body)


@router.handle(staff_or_above(), command("办结"))
async def resolve(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        outcome = await workflow.resolve(ctx.session, ctx.rt, case, bound_person(ctx), " ".join(rest))
        return texts.RESOLVED.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 2, body)


@router.handle(staff_or_above(), command("分类"))
async def recategorise(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        new = " ".join(rest)
        outcome = await workflow.recategorise(ctx.session, ctx.rt, case, bound_person(ctx), new)
        if not outcome.ok:
            return error_text(outcome)
        return texts.RECATEGORISED.format(number=case.number, old=outcome.detail["old"], new=new,
                                          group=outcome.detail["group"])

    return await with_case(ctx, 2, body)


# ---- walk-in registration (登记) -----------------------------------------------------------------

async def _register(ctx: Context, content: str) -> str:
    phones = find_phones(content)
    outcome = await workflow.register_walk_in(ctx.session, ctx.rt, bound_person(ctx), content,
                                              phone=phones[0] if phones else None)
    if not outcome.ok:
        return error_text(outcome) if outcome.reason != "text_required" else texts.REGISTER_ASK
    case = outcome.case
    assert case is not None
    await conversation.remember_list(ctx.session, ctx, [case.id])
    return texts.REGISTER_DONE.format(number=case.number, title=case.title, category=case.category,
                                      dept=outcome.detail["department"], due=outcome.detail["due"])


@router.handle(staff_or_above(), state(REGISTER_STATE), command("取消"))
async def register_cancel(ctx: Context) -> str | None:
    await conversation.reset(ctx)
    return texts.REGISTER_CANCELLED


@router.handle(staff_or_above(), state(REGISTER_STATE), lambda ctx: ctx.msg_type in ("text", "voice"))
async def register_content(ctx: Context) -> str | None:
    await conversation.reset(ctx)
    return await _register(ctx, ctx.text)


@router.handle(staff_or_above(), command("登记"))
async def register(ctx: Context) -> str | None:
    content = " ".join(ctx.args)
    if not content:
        await conversation.set_state(ctx, REGISTER_STATE, {})
        return texts.REGISTER_ASK
    return await _register(ctx, content)


# Supervisors reopen resolved cases (§2); the citizen's 不满意 rating reopens through the rating flow.
@router.handle(role("supervisor", "admin"), command("重办"))
async def reopen(ctx: Context) -> str | None:
    async def body(case: Case, rest: list[str]) -> str:
        person = bound_person(ctx)
        outcome = await workflow.reopen(ctx.session, ctx.rt, case, actor=Actor.of(person),
                                        reason=" ".join(rest), person=person)
        return texts.REOPENED.format(number=case.number) if outcome.ok else error_text(outcome)

    return await with_case(ctx, 2, body)


# Included after every other role router and before the citizen one: a bound officer's message
# that no command matched gets the staff help instead of starting a citizen report.
fallback_router = Router("staff-fallback")


@fallback_router.handle(staff_or_above(), state("idle"), msg_type("text", "voice"))
async def unknown_command(ctx: Context) -> str | None:
    return texts.UNKNOWN_COMMAND + "\n" + (await staff_help(ctx) or "")
