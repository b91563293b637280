"""Admin pages (管理): departments, people, reception sessions, outbox problems, categorisation rules.

Admins only, like the CLI these pages stand beside. A binding code is shown once, on the page that
created it, exactly as ``xinfang people add`` prints it once.
"""

from __future__ import annotations

from aiohttp import web

from bot.console.security import FORM, RUNTIME, db, form, page, see_other, signed_in
from bot.services import case_file, office_admin
from bot.services import people as people_service

MAX_NAME = 64


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin", overview)
    app.router.add_post("/admin/departments", add_department)
    app.router.add_get("/admin/people", people_page)
    app.router.add_post("/admin/people", add_person)
    app.router.add_post("/admin/people/{id}/{action}", person_action)
    app.router.add_get("/admin/reception", reception_page)
    app.router.add_post("/admin/reception", add_reception)
    app.router.add_get("/admin/outbox", outbox_page)
    app.router.add_post("/admin/outbox/retry", outbox_retry)
    app.router.add_get("/admin/rules", rules_page)
    app.router.add_post("/admin/rules/eval", rules_eval)


def _admin(request: web.Request):  # type: ignore[no-untyped-def]
    return signed_in(request, *office_admin.ADMIN_ROLES)


async def overview(request: web.Request) -> web.StreamResponse:
    _admin(request)
    return page(request, "admin.html", departments=await office_admin.departments(db(request)), error="")


async def add_department(request: web.Request) -> web.StreamResponse:
    _admin(request)
    name = " ".join(form(request).get("name", "").split())
    if not name or len(name) > MAX_NAME:
        return page(request, "admin.html", status=400, departments=await office_admin.departments(db(request)),
                    error=f"请填写部门名称（不超过{MAX_NAME}字）。")
    await office_admin.add_department(db(request), name)
    return see_other("/admin")


async def _people_page(request: web.Request, *, status: int = 200, error: str = "", code: str = "",
                       code_for: str = "") -> web.StreamResponse:
    return page(request, "people.html", status=status, people=await office_admin.people(db(request)),
                departments=await office_admin.departments(db(request)), roles=office_admin.PERSON_ROLES,
                error=error, code=code, code_for=code_for, values=form(request))


async def people_page(request: web.Request) -> web.StreamResponse:
    _admin(request)
    return await _people_page(request)


async def add_person(request: web.Request) -> web.StreamResponse:
    _admin(request)
    fields = form(request)
    name = fields.get("name", "").strip()
    if not name or len(name) > MAX_NAME:
        return await _people_page(request, status=400, error=f"请填写姓名（不超过{MAX_NAME}字）。")
    try:
        person, code = await people_service.create_person(
            db(request), request.app[RUNTIME], name=name, role=fields.get("role", ""),
            department=fields.get("department", "").strip()[:MAX_NAME] or None,
            title=fields.get("title", "").strip()[:MAX_NAME] or None)
    except people_service.PeopleError:
        return await _people_page(request, status=400, error="角色无效，或工作人员、领导未选择所属部门。")
    return await _people_page(request, code=code, code_for=f"#{person.id} {person.name}")


async def person_action(request: web.Request) -> web.StreamResponse:
    me = _admin(request)
    raw = request.match_info["id"]
    person = await office_admin.person(db(request), int(raw)) if raw.isdigit() and len(raw) < 10 else None
    action = request.match_info["action"]
    if person is None or action not in ("bind-code", "unbind", "deactivate"):
        raise web.HTTPNotFound()
    rt = request.app[RUNTIME]
    if action == "bind-code":
        if not person.active:
            return await _people_page(request, status=409, error="该账号已停用，不能生成绑定码。")
        code = await people_service.issue_bind_code(db(request), rt, person)
        return await _people_page(request, code=code, code_for=f"#{person.id} {person.name}")
    if person.id == me.person.id:
        return await _people_page(request, status=409, error="不能解除或停用自己正在使用的账号。")
    if action == "unbind":
        await people_service.unbind(db(request), rt, person)
    else:
        await people_service.deactivate(db(request), rt, person)
    return see_other("/admin/people")


async def _reception_page(request: web.Request, *, status: int = 200, error: str = "") -> web.StreamResponse:
    rows = [office_admin.describe_session(s) for s in await office_admin.reception_sessions(db(request))]
    return page(request, "reception.html", status=status, sessions=rows, error=error, values=form(request))


async def reception_page(request: web.Request) -> web.StreamResponse:
    _admin(request)
    return await _reception_page(request)


async def add_reception(request: web.Request) -> web.StreamResponse:
    _admin(request)
    f = form(request)
    try:
        slots = int(f.get("slots", "10") or "10")
        await office_admin.add_reception_session(
            db(request), request.app[RUNTIME], leader=f.get("leader", "").strip()[:MAX_NAME],
            weekday=f.get("weekday") or None, on_date=f.get("on_date") or None, start=f.get("start", ""),
            end=f.get("end", ""), place=f.get("place", "").strip()[:128], form=f.get("form", "现场接访")[:32],
            slots=slots)
    except (office_admin.SessionError, ValueError) as exc:
        return await _reception_page(request, status=400, error=f"无法添加接访场次：{exc}")
    return see_other("/admin/reception")


async def outbox_page(request: web.Request) -> web.StreamResponse:
    _admin(request)
    retried = request.query.get("retried", "")
    return page(request, "outbox.html", messages=await office_admin.outbox_problems(db(request)),
                retried=retried if retried.isdigit() else "")


async def outbox_retry(request: web.Request) -> web.StreamResponse:
    _admin(request)
    raw = form(request).get("id", "")
    ids = [int(raw)] if raw.isdigit() and len(raw) < 12 else None
    if raw and ids is None:
        raise web.HTTPBadRequest()
    count = await office_admin.retry_outbox(db(request), request.app[RUNTIME], ids)
    return see_other(f"/admin/outbox?retried={count}")


async def rules_page(request: web.Request, *, status: int = 200, evaluation: office_admin.Evaluation | None = None,
                     ) -> web.StreamResponse:
    me = _admin(request)
    number = request.query.get("number", "").strip()[:32]
    case = await case_file.visible_case(db(request), me.person, number) if number else None
    decision = office_admin.explain(request.app[RUNTIME], case.content) if case is not None else None
    return page(request, "rules.html", status=status, number=number, case=case, decision=decision,
                evaluation=evaluation)


async def rules_eval(request: web.Request) -> web.StreamResponse:
    _admin(request)
    upload = (request.get(FORM) or {}).get("file")
    level = form(request).get("level", "group")
    if upload is None or isinstance(upload, str):
        evaluation = office_admin.Evaluation(False, "请选择要上传的 CSV 文件。")
    else:
        evaluation = await office_admin.evaluate_csv(request.app[RUNTIME], upload.file.read(), level)
    return await rules_page(request, status=200 if evaluation.ok else 400, evaluation=evaluation)
