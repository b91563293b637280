"""A running office console for tests: the webhook service and fake WeChat (tests/harness.py), the
staff office of tests/staff/office.py bound through chat, and the console app on its own port
sharing the service's runtime. ``Browser`` is a plain HTTP client with a cookie jar (the Playwright
tests use Chromium instead).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from bot.console import create_console_app
from bot.console.app import HANDLER_ARGS
from tests.harness import Service
from tests.staff.office import Office, build_office

LINK = re.compile(r"https?://\S+/login/([A-Za-z0-9_\-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Desk:
    svc: Service
    office: Office
    url: str
    opened: list[Browser] = field(default_factory=list)

    async def login_link(self, who: str) -> str:
        """Send 登录 in chat as ``who``; the link from the reply, pointed at this test's console."""
        reply = await self.office.say(who, "登录")
        match = LINK.search(reply)
        assert match, reply
        return f"{self.url}/login/{match.group(1)}"

    async def browser(self, who: str | None = None) -> Browser:
        browser = Browser(self.url)
        self.opened.append(browser)
        if who is not None:
            page = await browser.post(await self.login_link(who), {}, csrf=False)
            assert page.status == 200 and "待办事项" in page.text, (page.status, page.text[:300])
        return browser


@dataclass
class Page:
    status: int
    text: str
    url: str
    headers: Any = None

    @property
    def csrf(self) -> str:
        match = CSRF.search(self.text)
        assert match, self.text[:500]
        return match.group(1)


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    def set_cookie(self, value: str) -> None:
        """Replace the session cookie (to tamper with it)."""
        self.http.cookie_jar.clear()
        self.http.cookie_jar.update_cookies({"xf_console": value}, response_url=URL(self.base))

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    async def get(self, path: str, **kwargs: Any) -> Page:
        async with self.http.get(self._url(path), **kwargs) as response:
            page = Page(response.status, await response.text(errors="replace"), str(response.url), response.headers)
        if 'name="csrf"' in page.text:
            self.csrf = page.csrf
        return page

    async def get_bytes(self, path: str) -> tuple[int, str, bytes]:
        async with self.http.get(self._url(path)) as response:
            return response.status, response.content_type, await response.read()

    async def post(self, path: str, data: Any, *, csrf: bool = True) -> Page:
        if csrf and isinstance(data, dict):
            data = {"csrf": self.csrf, **data}
        async with self.http.post(self._url(path), data=data) as response:
            page = Page(response.status, await response.text(errors="replace"), str(response.url), response.headers)
        if 'name="csrf"' in page.text:
            self.csrf = page.csrf
        return page

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def desk(service: Service) -> AsyncIterator[Desk]:
    office = await build_office(service)
    app = create_console_app(service.settings, service.clock, runtime=service.rt)
    runner = web.AppRunner(app, access_log=None, **HANDLER_ARGS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    running = Desk(service, office, f"http://{host}:{port}")
    try:
        yield running
    finally:
        for browser in running.opened:
            await browser.close()
        await runner.cleanup()
