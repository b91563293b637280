"""``create_console_app(settings)``: the console's aiohttp application (templates, static files, routes).

Like ``bot.app.create_app`` it opens its resources in ``cleanup_ctx``: its own runtime (engine and
session factory) unless a test hands one in. The cookie key is ``settings.console_secret``; when it
is empty a random key is drawn at start-up, so sessions then last only as long as the process.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.clock import Clock
from bot.console import labels, routes_admin, routes_auth, routes_cases, routes_dashboard
from bot.console.security import RUNTIME, SECRET, error_pages, security_headers, unit_of_work
from bot.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
# Uploads (the rules CSV) and forms; larger requests get the 413 page before anything is read.
MAX_REQUEST_BYTES = 2 * 1024 * 1024
# aiohttp's default request line limit (8 KiB) answers a long search URL with a bare 400 before any
# page is rendered; this lets such a URL reach the inbox, which explains what it ignored.
HANDLER_ARGS = {"max_line_size": 64 * 1024}


def create_console_app(settings: Settings, clock: Clock | None = None, *,
                       runtime: Runtime | None = None) -> web.Application:
    app = web.Application(middlewares=[error_pages, unit_of_work], client_max_size=MAX_REQUEST_BYTES)
    secret = settings.console_secret.encode("utf-8") if settings.console_secret else None
    if secret is None:
        log.warning("XINFANG_CONSOLE_SECRET is not set: console sessions end when this process stops")
    app[SECRET] = secret or secrets.token_bytes(32)

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        if runtime is not None:
            app[RUNTIME] = runtime
            yield
            return
        from bot.app import build_runtime

        rt, dispose = build_runtime(settings, clock)
        app[RUNTIME] = rt
        yield
        await dispose()  # type: ignore[misc]

    app.cleanup_ctx.append(runtime_ctx)
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
        undefined=jinja2.StrictUndefined)
    env.filters.update(labels.FILTERS)
    env.globals.update(labels.GLOBALS)
    app.on_response_prepare.append(security_headers())
    app.router.add_static("/static/", HERE / "static", name="static", append_version=False)
    routes_auth.add_routes(app)
    routes_cases.add_routes(app)
    routes_dashboard.add_routes(app)
    routes_admin.add_routes(app)
    return app
