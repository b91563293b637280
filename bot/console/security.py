"""The console's request pipeline: error pages, one unit of work per request, the session cookie, CSRF.

- Every request runs in one database transaction (committed when the handler returns, rolled back
  if it raises), so a page that failed changed nothing.
- The session cookie is ``<sid>.<hmac>``: the HMAC (keyed by ``console_secret``) rejects a tampered
  cookie before the database is asked; the sid itself is looked up by its digest. HttpOnly,
  SameSite=Strict, and Secure when the console is served over HTTPS.
- Every POST except the login form carries the session's CSRF token in the form field ``csrf``.
- Bad input of any kind ends as a clear Chinese page with a 4xx status; an unexpected exception is
  logged and shown as a 500 page without details.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services import console_auth

log = logging.getLogger(__name__)

COOKIE = "xf_console"
RUNTIME = web.AppKey("console_runtime", Runtime)
SECRET = web.AppKey("console_secret", bytes)
DB = web.RequestKey("db", AsyncSession)  # the request's unit of work
ME = web.RequestKey("me", object)  # console_auth.Signed, or None when nobody is signed in
FORM = web.RequestKey("form", object)  # the parsed POST form (read once, by the CSRF check)


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, as plain values: error pages render after the transaction has rolled back."""

    id: int
    name: str
    role: str
    department: str
    csrf: str


VIEWER = web.RequestKey("viewer", object)  # Viewer or None
# POST paths that have no session yet (the login form); everything else needs the CSRF token.
CSRF_EXEMPT_PREFIX = "/login/"
MAX_FIELD = 20_000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sign(secret: bytes, sid: str) -> str:
    mac = hmac.new(secret, sid.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{sid}.{mac}"


def unsign(secret: bytes, value: str | None) -> str | None:
    """The sid of a cookie value whose signature holds; None for a missing or tampered cookie."""
    if not value or len(value) > 256 or "." not in value:
        return None
    sid, _, mac = value.rpartition(".")
    try:
        expected = hmac.new(secret, sid.encode("ascii"), hashlib.sha256).hexdigest()
    except UnicodeEncodeError:
        return None
    return sid if hmac.compare_digest(expected, mac) else None


def set_session_cookie(request: web.Request, response: web.StreamResponse, sid: str) -> None:
    rt = request.app[RUNTIME]
    secure = request.secure or rt.settings.console_url.startswith("https://")
    response.set_cookie(COOKIE, sign(request.app[SECRET], sid), httponly=True, samesite="Strict", secure=secure,
                        path="/")


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


def session_id(request: web.Request) -> str | None:
    return unsign(request.app[SECRET], request.cookies.get(COOKIE))


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a template with what every page shows (who is signed in, the CSRF token, the time zone)."""
    viewer = request.get(VIEWER)
    rt = request.app[RUNTIME]
    common = {"person": viewer, "csrf": viewer.csrf if viewer else "", "tz": rt.tz, "now": rt.now(),
              "path": request.path}
    response = aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def message_page(request: web.Request, status: int, title: str, text: str) -> web.Response:
    return page(request, "message.html", status=status, title=title, text=text)


ERROR_TEXTS = {
    400: ("请求有误", "提交的内容无法处理，请返回后检查再试。"),
    401: ("请先登录", "请在公众号中发送“登录”，用收到的一次性链接进入办公控制台。"),
    403: ("无权访问", "您的账号没有使用该页面的权限。"),
    404: ("未找到", "未找到该页面或事项，或您无权查看。"),
    405: ("不支持的操作", "该页面不支持这种请求方式。"),
    413: ("内容过大", "上传的文件或提交的内容超过了大小限制，未作任何更改。"),
}


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: HTTP errors and bugs become a readable page; never a bare traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        title, text = ERROR_TEXTS.get(exc.status, ("请求未完成", exc.reason or ""))
        if isinstance(exc, CsrfRefused):
            title, text = "请求已拒绝", "缺少或不符的安全令牌（页面可能已过期），未作任何更改。请刷新页面后重试。"
        request.setdefault(VIEWER, None)
        return message_page(request, exc.status, title, text)
    except Exception:
        log.exception("console request failed: %s %s", request.method, request.path)
        request[VIEWER] = None
        return message_page(request, 500, "系统错误", "处理请求时发生错误，未作任何更改。请稍后再试或联系管理员。")


@web.middleware
async def unit_of_work(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One transaction per request; the signed-in person and the CSRF check happen inside it."""
    request[ME] = None
    request[VIEWER] = None
    if request.path.startswith("/static/"):
        return await handler(request)
    rt = request.app[RUNTIME]
    async with rt.sessions() as session, session.begin():
        request[DB] = session
        sid = session_id(request)
        me = await console_auth.current(session, rt, sid) if sid else None
        request[ME] = me
        if me is not None:
            dept = me.person.department.name if me.person.department else ""
            request[VIEWER] = Viewer(me.person.id, me.person.name, me.person.role, dept, me.csrf)
        if request.method == "POST":
            await _check_csrf(request)
        return await handler(request)


async def _check_csrf(request: web.Request) -> None:
    form = await request.post()  # aiohttp enforces client_max_size here (413)
    request[FORM] = form
    if request.path.startswith(CSRF_EXEMPT_PREFIX):
        return
    me: console_auth.Signed | None = request[ME]
    sent = form.get("csrf")
    if me is None:
        raise web.HTTPUnauthorized()
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), me.csrf.encode()):
        raise CsrfRefused()


class CsrfRefused(web.HTTPForbidden):
    pass


def see_other(location: str) -> web.Response:
    """Redirect after a POST (returned, not raised, so the request's transaction commits)."""
    return web.Response(status=303, headers={"Location": location})


def db(request: web.Request) -> AsyncSession:
    return request[DB]


def form(request: web.Request) -> dict[str, str]:
    """The POST form's text fields (files are left out), each cut to a sane length."""
    data = request.get(FORM) or {}
    return {k: v[:MAX_FIELD] for k, v in data.items() if isinstance(v, str)}


def signed_in(request: web.Request, *roles: str) -> console_auth.Signed:
    """The signed-in person, or a 401/403 page; ``roles`` narrows who may use the page."""
    me: console_auth.Signed | None = request.get(ME)
    if me is None:
        raise web.HTTPUnauthorized()
    if roles and me.person.role not in roles:
        raise web.HTTPForbidden()
    return me


def security_headers() -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'")

    return on_prepare
