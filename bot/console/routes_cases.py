"""Inbox (待办), case file, the case actions of chat as forms, media, 登记, and the access log.

Every case URL goes through ``case_file.visible_case``/``open_case_file`` (chat's visibility rule);
a case the person may not see is the same 404 page as one that does not exist. Actions call the
workflow services chat calls, so the same checks run, the same events are written and the same
notices are queued.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot import case_policy as policy
from bot.console import labels
from bot.console.security import RUNTIME, db, form, message_page, page, see_other, signed_in
from bot.services import case_file, inbox, workflow
from bot.services.media import MediaUnavailable
from bot.services.workflow import WALK_IN_SOURCES

MAX_CONTENT = 10_000
MAX_REASON = 2_000


def add_routes(app: web.Application) -> None:
    app.router.add_get("/inbox", inbox_page)
    app.router.add_get("/cases/{number}", case_page)
    app.router.add_post("/cases/{number}/{action}", case_action)
    app.router.add_get("/media/{id}", media)
    app.router.add_get("/media/{id}/voice.mp3", voice)
    app.router.add_get("/register", register_form)
    app.router.add_post("/register", register)
    app.router.add_get("/access-log", access_log)


async def inbox_page(request: web.Request) -> web.StreamResponse:
    me = signed_in(request)
    rt = request.app[RUNTIME]
    query = inbox.InboxQuery.clean(dict(request.query))
    result = await inbox.inbox(db(request), rt, me.person, query)
    choices = await inbox.filter_choices(db(request), rt)
    notes = []
    if "q_too_long" in query.problems:
        notes.append(f"搜索词过长（不超过{inbox.MAX_SEARCH}个字），已忽略。")
    if set(query.problems) - {"q_too_long"}:
        notes.append("部分筛选条件无法识别，已忽略。")
    params = {k: v for k, v in request.query.items() if k != "page" and len(v) <= inbox.MAX_SEARCH}
    return page(request, "inbox.html", result=result, query=result.query, choices=choices, notes=notes,
                params=params, due_of=inbox.due_of, limit_search=inbox.MAX_SEARCH)


async def case_page(request: web.Request, *, notice: str = "", error: str = "", status: int = 200,
                    values: dict[str, str] | None = None) -> web.StreamResponse:
    me = signed_in(request)
    rt = request.app[RUNTIME]
    file = await case_file.open_case_file(db(request), rt, me.person, request.match_info["number"])
    if file is None:
        raise web.HTTPNotFound()
    done = request.query.get("done", "") if request.method == "GET" else ""
    notice = notice or labels.DONE_SHORT.get(done, "")
    return page(request, "case.html", status=status, file=file, case=file.case, notice=notice, error=error,
                values=values or {}, departments=await _department_names(request),
                categories=workflow.category_names(rt), role=me.person.role,
                may_supervise=me.person.role in policy.SUPERVISE_ROLES,
                may_take_charge=me.person.role in policy.TAKE_CHARGE_ROLES)


async def _department_names(request: web.Request) -> list[str]:
    choices = await inbox.filter_choices(db(request), request.app[RUNTIME])
    return [d.name for d in choices["departments"]]


def _days(text: str, *, required: bool) -> int | None | str:
    text = text.strip()
    if not text:
        return "" if required else None
    return int(text) if text.isdigit() and len(text) < 5 else ""


Action = Callable[[Any, Any, Any, Any, dict[str, str]], Awaitable[workflow.Outcome | str]]


async def _accept(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    days = _days(f.get("days", ""), required=False)
    if days == "":
        return "承诺办理天数应为整数"
    return await workflow.accept(session, rt, case, person, days)  # type: ignore[arg-type]


async def _decline(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    return await workflow.decline(session, rt, case, person, f.get("reason", "")[:MAX_REASON])


async def _reply(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    return await workflow.reply(session, rt, case, person, f.get("text", "")[:MAX_REASON])


async def _transfer(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    return await workflow.transfer(session, rt, case, person, f.get("department", "").strip()[:64],
                                   f.get("reason", "")[:MAX_REASON])


async def _extend(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    days = _days(f.get("days", ""), required=True)
    if not isinstance(days, int):
        return "延期天数应为整数"
    return await workflow.extend(session, rt, case, person, days, f.get("reason", "")[:MAX_REASON])


async def _resolve(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    return await workflow.resolve(session, rt, case, person, f.get("result", "")[:MAX_REASON])


async def _confirm(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    return await workflow.confirm_resolve(session, rt, case, person)


async def _recategorise(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    return await workflow.recategorise(session, rt, case, person, f.get("category", "").strip()[:32])


async def _take_charge(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    return await workflow.take_charge(session, rt, case, person)


async def _supervise(session: Any, rt: Any, case: Any, person: Any, f: dict[str, str]) -> workflow.Outcome | str:
    days = _days(f.get("days", ""), required=False)
    if days == "":
        return "督办期限天数应为整数"
    return await workflow.supervise(session, rt, case, person, f.get("opinion", "")[:MAX_REASON],
                                    days)  # type: ignore[arg-type]


ACTIONS: dict[str, Action] = {
    "accept": _accept, "decline": _decline, "reply": _reply, "transfer": _transfer, "extend": _extend,
    "resolve": _resolve, "confirm_resolve": _confirm, "recategorise": _recategorise,
    "take_charge": _take_charge, "supervise": _supervise,
}


async def case_action(request: web.Request) -> web.StreamResponse:
    me = signed_in(request)
    rt = request.app[RUNTIME]
    action = ACTIONS.get(request.match_info["action"])
    case = await case_file.visible_case(db(request), me.person, request.match_info["number"])
    if case is None or action is None:
        raise web.HTTPNotFound()
    fields = form(request)
    outcome = await action(db(request), rt, case, me.person, fields)
    if isinstance(outcome, str):
        return await case_page(request, error=labels.word(labels.ERRORS["bad_input"], what=outcome), status=400,
                               values=fields)
    if not outcome.ok:
        template = labels.ERRORS.get(outcome.reason, labels.ERRORS["forbidden"])
        text = labels.word(template, number=case.number, **outcome.detail)
        return await case_page(request, error=text, status=409 if outcome.reason != "ping_pong" else 200,
                               values=fields)
    key = request.match_info["action"]
    if key == "reply" and not outcome.detail.get("has_citizen"):
        key = "reply_no_citizen"
    return see_other(f"/cases/{case.number}?done={key}")


async def _attachment(request: web.Request) -> Any:
    me = signed_in(request)
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    attachment = await case_file.visible_attachment(db(request), me.person, int(raw))
    if attachment is None:
        raise web.HTTPNotFound()
    return attachment


async def media(request: web.Request) -> web.StreamResponse:
    attachment = await _attachment(request)
    try:
        content = await case_file.attachment_media(request.app[RUNTIME], attachment)
    except MediaUnavailable as exc:
        return message_page(request, 404, "附件不可用", str(exc))
    return web.Response(body=content.data, content_type=content.content_type,
                        headers={"Cache-Control": "private, max-age=300"})


async def voice(request: web.Request) -> web.StreamResponse:
    attachment = await _attachment(request)
    if attachment.kind != "voice":
        raise web.HTTPNotFound()
    try:
        data = await case_file.voice_for_browser(request.app[RUNTIME], attachment)
    except MediaUnavailable as exc:
        return message_page(request, 404, "语音不可用", str(exc))
    return web.Response(body=data, content_type="audio/mpeg", headers={"Cache-Control": "private, max-age=300"})


# ---- 登记 ------------------------------------------------------------------------------------------

async def register_form(request: web.Request) -> web.StreamResponse:
    signed_in(request, *policy.STAFF_ROLES)
    return page(request, "register.html", sources=WALK_IN_SOURCES, values={}, error="")


async def register(request: web.Request) -> web.StreamResponse:
    me = signed_in(request, *policy.STAFF_ROLES)
    fields = form(request)
    source = fields.get("source", "reception")
    content = fields.get("content", "")
    error = ""
    if source not in WALK_IN_SOURCES:
        error = "请选择来访、来信或来电。"
    elif len(content) > MAX_CONTENT:
        error = f"反映内容过长（不超过{MAX_CONTENT}字）。"
    elif len(content.strip()) < 4:
        error = "请填写群众反映的问题（至少4个字）。"
    if error:
        return page(request, "register.html", status=400, sources=WALK_IN_SOURCES, values=fields, error=error)
    outcome = await workflow.register_walk_in(
        db(request), request.app[RUNTIME], me.person, content, name=fields.get("name", "").strip()[:64] or None,
        phone=fields.get("phone", "").strip()[:32] or None, source=source)
    if not outcome.ok or outcome.case is None:
        text = labels.word(labels.ERRORS.get(outcome.reason, labels.ERRORS["forbidden"]))
        return page(request, "register.html", status=400, sources=WALK_IN_SOURCES, values=fields, error=text)
    return see_other(f"/cases/{outcome.case.number}?done=register")


# ---- access log ------------------------------------------------------------------------------------

async def access_log(request: web.Request) -> web.StreamResponse:
    me = signed_in(request)
    number = request.query.get("number", "")[:32]
    rows = await case_file.view_log(db(request), me.person, number)
    if rows is None:
        raise web.HTTPForbidden()
    return page(request, "access_log.html", rows=rows, number=number)
