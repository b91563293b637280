"""The aiohttp app factory: ``create_app(settings)`` wires runtime, webhook, API client and workers.

Resources are opened in ``cleanup_ctx`` so start-up and shut-down are symmetric: database engine,
one HTTP client session, the WeChat API client, the outbox sender and the scheduler (each optional).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import text

from bot import logs, metrics, metrics_endpoint
from bot.clock import Clock, SystemClock
from bot.dispatch import Dispatcher
from bot.runtime import Runtime
from bot.settings import Settings
from bot.webhook import Webhook
from storage.engine import make_engine, make_session_factory

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)
HTTP = web.AppKey("http", aiohttp.ClientSession)
ALL_COMPONENTS = frozenset({"webhook", "sender", "scheduler"})


@functools.cache
def _categoriser(rules_file: str | None):  # type: ignore[no-untyped-def]
    # jieba and the rules load once per process, however many apps a test suite builds.
    from nlp import Categoriser, load_rules

    return Categoriser(load_rules(Path(rules_file) if rules_file else None))


def build_runtime(settings: Settings, clock: Clock | None = None) -> tuple[Runtime, Callable[[], object]]:
    """A runtime with its own engine; returns it and an async disposer for the engine."""
    from bot.services.calendar import check_holidays

    # Fails here, before anything listens, when the holidays file has a bad line.
    check_holidays(settings, (clock or SystemClock()).now())
    engine = make_engine(settings.database_url)
    rt = Runtime(
        settings=settings,
        clock=clock or SystemClock(),
        sessions=make_session_factory(engine),
        categoriser=_categoriser(str(settings.rules_file) if settings.rules_file else None),
    )

    async def dispose() -> None:
        await rt.close()
        await engine.dispose()

    return rt, dispose


def default_dispatcher() -> Dispatcher:
    from handlers import build_dispatcher

    return build_dispatcher()


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    *,
    dispatcher: Dispatcher | None = None,
    components: Iterable[str] = ALL_COMPONENTS,
    runtime: Runtime | None = None,
) -> web.Application:
    components = frozenset(components)
    unknown = components - ALL_COMPONENTS
    if unknown:
        raise ValueError(f"unknown components: {sorted(unknown)}")
    app = web.Application(client_max_size=settings.max_body_bytes + 1024)
    metrics.set_role(components)

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        if runtime is not None:
            app[RUNTIME] = runtime
            yield
            return
        rt, dispose = build_runtime(settings, clock)
        app[RUNTIME] = rt
        # jieba's dictionary (~0.6 s) is needed only by whole-word rules; load it in a thread once
        # the app is up, so neither readiness nor a citizen's first message waits for it.
        from nlp.segment import tokenizer

        jieba_loading = asyncio.get_running_loop().run_in_executor(None, tokenizer)
        yield
        await jieba_loading
        await dispose()  # type: ignore[misc]

    async def http_ctx(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=settings.api_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            app[HTTP] = http
            rt = app[RUNTIME]
            from bot.wechat.api import WeChatAPI
            from storage.repositories.tokens import SqlTokenStore

            rt.api = WeChatAPI(settings, SqlTokenStore(rt.sessions), http, rt.clock)
            yield
            # Media downloads started after a commit need the HTTP session: let them finish.
            while rt.background:
                await asyncio.gather(*list(rt.background), return_exceptions=True)

    app.cleanup_ctx.append(runtime_ctx)
    app.cleanup_ctx.append(http_ctx)
    for component in sorted(components - {"webhook"}):
        app.cleanup_ctx.append(_worker_ctx(component))

    if "webhook" in components:
        hook_holder: dict[str, Webhook] = {}
        disp = dispatcher or default_dispatcher()

        def hook(request: web.Request) -> Webhook:
            if "hook" not in hook_holder:
                hook_holder["hook"] = Webhook(request.app[RUNTIME], disp)
            return hook_holder["hook"]

        async def get_wechat(request: web.Request) -> web.StreamResponse:
            return await hook(request).verify(request)

        async def post_wechat(request: web.Request) -> web.StreamResponse:
            return await hook(request).receive(request)

        app.router.add_get("/wechat", get_wechat)
        app.router.add_post("/wechat", metrics.timed_webhook(logs.own_context(post_wechat)))
    app.router.add_get("/healthz", healthz)
    # Not published by nginx (deploy/nginx/xinfang.conf): scraped on the process's own port.
    app.router.add_get("/metrics", metrics_endpoint.metrics_handler(lambda request: request.app[RUNTIME]))
    return app


def _worker_ctx(component: str) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        from bot.workers import start_worker

        stop = await start_worker(component, app[RUNTIME])
        yield
        await stop()

    return ctx


async def healthz(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    try:
        async with rt.sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # report, don't crash: this is what a load balancer polls
        # The details go to the log only: driver errors name hosts, users and databases.
        log.exception("health check: database unreachable")
        return web.json_response({"status": "error", "database": "unavailable"}, status=503)
    from bot.services.calendar import HORIZON_DAYS, horizon_report

    try:
        holidays = horizon_report(rt.settings, rt.now(), HORIZON_DAYS)
    except ValueError:  # a holidays file broken since start-up: say so (no path), keep serving
        log.exception("health check: holidays file unusable")
        holidays = {"error": "节假日文件有误，见日志"}
    return web.json_response({"status": "ok", "database": "ok", "holidays": holidays})
