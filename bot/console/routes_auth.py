"""Signing in with a chat-issued link, and 退出.

``GET /login/<token>`` only shows a button: link previewers (WeChat fetches links it shows) must
not use up the one-time token, and the session cookie (SameSite=Strict) is set by the same-site
form POST that follows, so the browser sends it on the very next page.
"""

from __future__ import annotations

from aiohttp import web

from bot.console.security import (
    ME,
    RUNTIME,
    VIEWER,
    clear_session_cookie,
    db,
    form,
    message_page,
    page,
    see_other,
    session_id,
    set_session_cookie,
    signed_in,
)
from bot.services import console_auth

REFUSED = {
    "invalid": "登录链接无效。请在公众号中重新发送“登录”获取新链接。",
    "used": "该登录链接已经使用过（每个链接只能使用一次）。请在公众号中重新发送“登录”。",
    "expired": "该登录链接已过期（有效期10分钟）。请在公众号中重新发送“登录”。",
    "unbound": "该账号已解除绑定或已停用，不能登录。请联系管理员。",
}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/login/{token}", login_form)
    app.router.add_post("/login/{token}", login)
    app.router.add_post("/logout", logout)


async def home(request: web.Request) -> web.StreamResponse:
    if request.get(ME) is None:
        return message_page(request, 401, "请先登录", REFUSED_HINT)
    return see_other("/inbox")


REFUSED_HINT = "请在公众号中发送“登录”，用收到的一次性链接（10分钟内有效）进入办公控制台。"


async def login_form(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    return page(request, "login.html", token=token)


async def login(request: web.Request) -> web.StreamResponse:
    rt = request.app[RUNTIME]
    result = await console_auth.redeem_login_link(db(request), rt, request.match_info["token"])
    if not result.ok:
        return message_page(request, 403, "无法登录", REFUSED[result.reason])
    # A browser that was signed in as someone else starts over as the new person.
    old = session_id(request)
    if old:
        await console_auth.end(db(request), rt, old)
    response = see_other("/inbox")
    set_session_cookie(request, response, result.sid)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """退出 this browser; with ``everywhere=1`` every session of the person (other computers, phone)."""
    me = signed_in(request)
    sid = session_id(request)
    if form(request).get("everywhere") == "1":
        await console_auth.end_all_for(db(request), request.app[RUNTIME], me.person.id)
    elif sid:
        await console_auth.end(db(request), request.app[RUNTIME], sid)
    request[ME] = None
    request[VIEWER] = None
    response = message_page(request, 200, "已退出", "您已退出办公控制台。再次使用请在公众号中发送“登录”。")
    clear_session_cookie(response)
    return response
