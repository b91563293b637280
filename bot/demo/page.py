"""The demo's web page and its small JSON API (also used by ``xinfang chat``).

- ``GET  /``                         the three-phone page (static files, no build step, no CDN)
- ``GET  /api/info``                 cast, clock, sample location
- ``GET  /api/messages?since=N``     bubbles after id N on all phones (``&phone=`` for one), clock
- ``POST /api/send``                 ``{"phone", "kind": "text"|"photo"|"location", "text"}``
- ``POST /api/time``                 ``{"hours": n}`` / ``{"days": n}`` / ``{"to": "18:00"}``
- ``GET  /api/outbox``               every message the service sent through the platform's API

The page is for the machine it runs on (or a colleague's browser pointed at its address), never
for other sites: every request must name this server by IP address or ``localhost`` in ``Host``
(a DNS-rebinding page names its own domain), and a POST must be JSON (``Content-Type:
application/json``, which a cross-site form cannot send without a preflight nobody answers) from
no other origin than this one.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.demo.core import Demo, DemoError

STATIC = Path(__file__).parent / "static"
DEMO = web.AppKey("demo", Demo)


def make_web_app(demo: Demo) -> web.Application:
    app = web.Application(client_max_size=64 * 1024, middlewares=[same_site_only])
    app[DEMO] = demo
    app.router.add_get("/", index)
    app.router.add_get("/api/info", info)
    app.router.add_get("/api/messages", messages)
    app.router.add_post("/api/send", send)
    app.router.add_post("/api/time", jump)
    app.router.add_get("/api/outbox", outbox)
    app.router.add_static("/static", STATIC)
    return app


def _local_name(host: str) -> bool:
    """Whether ``host`` (a Host header or an origin's netloc) names a machine by address or localhost."""
    name = urlsplit("//" + host).hostname or ""
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@web.middleware
async def same_site_only(request: web.Request, handler: Any) -> web.StreamResponse:
    host = request.headers.get("Host", "")
    if not _local_name(host):
        return web.json_response({"error": "unknown host"}, status=421)
    if request.method == "POST":
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != host:
            return web.json_response({"error": "cross-site request refused"}, status=403)
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return web.json_response({"error": "cross-site request refused"}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"error": "body must be JSON (Content-Type: application/json)"}, status=415)
    return await handler(request)


async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def info(request: web.Request) -> web.Response:
    return web.json_response(request.app[DEMO].info(), dumps=_dumps)


async def messages(request: web.Request) -> web.Response:
    demo = request.app[DEMO]
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        return _bad("since must be a number")
    phone = request.query.get("phone") or None
    if phone is not None and phone not in demo.phones:
        return _bad(f"unknown phone {phone!r}")
    entries = demo.entries(since, phone)
    return web.json_response({
        "clock": demo.clock_info(),
        "last": demo.last_id,
        "entries": [e.as_dict() for e in entries],
        "errors": len(demo.errors),
    }, dumps=_dumps)


async def send(request: web.Request) -> web.Response:
    demo = request.app[DEMO]
    body = await _json(request)
    if body is None:
        return _bad("body must be a JSON object")
    phone = str(body.get("phone", ""))
    kind = str(body.get("kind", "text"))
    try:
        if kind == "text":
            entries = await demo.send_text(phone, str(body.get("text", "")))
        elif kind == "photo":
            entries = await demo.send_photo(phone)
        elif kind == "location":
            entries = await demo.send_location(phone, body.get("x"), body.get("y"), body.get("label"))
        else:
            return _bad(f"unknown kind {kind!r}")
    except DemoError as exc:
        return _bad(str(exc))
    return web.json_response({"entries": [e.as_dict() for e in entries], "last": demo.last_id}, dumps=_dumps)


async def jump(request: web.Request) -> web.Response:
    demo = request.app[DEMO]
    body = await _json(request)
    if body is None:
        return _bad("body must be a JSON object")
    try:
        if body.get("to"):
            result = await demo.advance(to=str(body["to"]))
        else:
            result = await demo.advance(hours=float(body.get("hours") or 0), days=float(body.get("days") or 0))
    except (DemoError, ValueError, TypeError) as exc:
        return _bad(str(exc))
    return web.json_response(result | {"last": demo.last_id}, dumps=_dumps)


async def outbox(request: web.Request) -> web.Response:
    demo = request.app[DEMO]
    calls = [
        {"endpoint": c.endpoint, "openid": c.openid, "errcode": c.errcode, "time": c.time.isoformat(),
         "payload": c.payload}
        for c in demo.wx.calls if c.endpoint.startswith("message/")
    ]
    return web.json_response(calls, dumps=_dumps)


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
