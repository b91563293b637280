"""``xinfang chat``: talk to the service as one of the demo's people, in a terminal.

It is a client of the demo's JSON API (``bot.demo.page``): with ``xinfang demo`` running, several
terminals can be several people; without one, it starts a demo in this process. Lines are sent as
the current person; what the account sends back (passive replies, and later customer-service or
template messages) is printed as it arrives. Lines starting with ``/`` control the console.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

HELP = """\
直接输入文字即以当前身份发给公众号。其他命令：
  /as citizen|staff|staff2|leader|supervisor   切换身份（群众、工作人员、第二位工作人员、领导、督查室）
  /photo            发送一张示例照片        /location        发送示例位置
  /time +2h | +1d | 18:00                   拨动演示时间（到点的通知和提醒会发出）
  /help             显示本说明              /quit            退出"""
VIA = {"custom": "客服消息", "template": "模板消息", "error": "错误"}

Echo = Callable[[str], None]
ReadLine = Callable[[str], Awaitable[str | None]]


class ConsoleError(Exception):
    """The demo answered with an error (shown to the user, the console goes on)."""


class Console:
    def __init__(self, http: aiohttp.ClientSession, base: str, phone: str, echo: Echo) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.phone = phone
        self.echo = echo
        self.names: dict[str, str] = {}
        self.seen: set[int] = set()
        self.last = 0
        self.pending: dict[str, int] = {}

    async def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        method = "GET" if body is None else "POST"
        async with self.http.request(method, self.base + path, json=body) as resp:
            data = await resp.json()
            if resp.status != 200:
                raise ConsoleError(data.get("error") if isinstance(data, dict) else resp.reason)
            return data

    async def start(self) -> None:
        info = await self.call("/api/info")
        for m in info["phones"]:
            who = m["title"] if m["key"] == "leader" else m["label"]
            self.names[m["key"]] = f"{who}·{m['name']}" + (f"（{m['department']}）" if m["department"] else "")
        if self.phone not in self.names:
            raise ConsoleError(f"没有这个身份：{self.phone}")
        self.echo(f"演示时间：{info['clock']['label']}")
        self.echo(HELP)
        await self.switch(self.phone)

    async def switch(self, phone: str) -> None:
        if phone not in self.names:
            self.echo(f"没有这个身份：{phone}（可选：{', '.join(self.names)}）")
            return
        self.phone = phone
        self.pending.pop(phone, None)
        self.echo(f"—— 现在的身份：{self.names[phone]} ——")
        data = await self.call(f"/api/messages?since=0&phone={phone}")
        self.show(data["entries"])

    def show(self, entries: list[dict[str, Any]]) -> None:
        for e in entries:
            if e["id"] in self.seen:
                continue
            self.last = max(self.last, e["id"])
            if e["phone"] != self.phone:
                self.pending[e["phone"]] = self.pending.get(e["phone"], 0) + (e["side"] == "bot")
                continue
            self.seen.add(e["id"])
            self.echo(format_entry(e))
        others = [f"{self.names.get(k, k)} {n} 条" for k, n in self.pending.items() if n]
        if others:
            self.echo(f"（其他人有新消息：{'，'.join(others)}；用 /as 切换查看）")
            self.pending = {k: 0 for k in self.pending}

    async def poll(self) -> None:
        data = await self.call(f"/api/messages?since={self.last}")
        self.show(data["entries"])

    async def handle(self, line: str) -> bool:
        """One input line; False when the user wants to leave."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith("/"):
            data = await self.call("/api/send", {"phone": self.phone, "kind": "text", "text": line})
            self.show(data["entries"])
            return True
        command, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self.echo(HELP)
        elif command == "as":
            await self.switch(arg)
        elif command == "photo":
            self.show((await self.call("/api/send", {"phone": self.phone, "kind": "photo"}))["entries"])
        elif command == "location":
            self.show((await self.call("/api/send", {"phone": self.phone, "kind": "location"}))["entries"])
        elif command == "time":
            body = parse_jump(arg)
            if body is None:
                self.echo("用法：/time +2h、/time +1d 或 /time 18:00")
                return True
            self.echo("正在拨动时间，到点的任务会依次执行……")
            data = await self.call("/api/time", body)
            self.echo(f"演示时间：{data['clock']['label']}")
            self.show(data["entries"])
        else:
            self.echo(f"不认识的命令 /{command}。{HELP}")
        return True


def parse_jump(arg: str) -> dict[str, Any] | None:
    """``+2h`` / ``+1d`` / ``+30m`` / ``18:00`` into a /api/time body."""
    arg = arg.strip().lower()
    if re.fullmatch(r"\d{1,2}[:：]\d{2}", arg):
        return {"to": arg.replace("：", ":")}
    match = re.fullmatch(r"\+?(\d+(?:\.\d+)?)\s*(h|d|m|小时|天|分钟)", arg)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    if unit in ("d", "天"):
        return {"days": value}
    if unit in ("m", "分钟"):
        return {"hours": value / 60}
    return {"hours": value}


def format_entry(e: dict[str, Any]) -> str:
    who = "我" if e["side"] == "me" else "信访服务号"
    if e.get("via") in VIA:
        who += f"（{VIA[e['via']]}）"
    text = str(e["text"]).replace("\n", "\n        ")
    return f"[{e['at']}] {who}：{text}"


async def stdin_lines(prompt: str) -> str | None:
    """One line from the terminal without blocking the event loop (a daemon thread reads it, so
    Ctrl+C never waits for Enter)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def read() -> None:
        try:
            line: str | None = input(prompt)
        except EOFError:
            line = None
        loop.call_soon_threadsafe(_resolve, future, line)

    threading.Thread(target=read, daemon=True).start()
    return await future


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


async def run_console(phone: str, url: str, *, echo: Echo = print, read_line: ReadLine = stdin_lines,
                      poll_seconds: float = 1.0) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        if await _reachable(http, url):
            echo(f"已连接到正在运行的演示：{url}")
            await _loop(Console(http, url, phone, echo), read_line, poll_seconds)
            return
        from bot.demo import running_demo

        echo("没有发现正在运行的演示，正在本进程内启动一个（临时数据，退出即删除）……")
        async with running_demo(port=0) as running:
            echo(f"演示已启动；浏览器也可以打开 {running.url}")
            await _loop(Console(http, running.url, phone, echo), read_line, poll_seconds)


async def _reachable(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(url.rstrip("/") + "/api/info", timeout=aiohttp.ClientTimeout(total=2)) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False


async def _loop(console: Console, read_line: ReadLine, poll_seconds: float) -> None:
    await console.start()

    async def poller() -> None:
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                await console.poll()
            except (aiohttp.ClientError, ConsoleError, OSError):
                pass  # the demo may be restarting; the next poll tries again

    task = asyncio.create_task(poller())
    try:
        while True:
            line = await read_line(f"{console.names[console.phone]}> " if sys.stdin.isatty() else "")
            if line is None:
                return
            try:
                if not await console.handle(line):
                    return
            except ConsoleError as exc:
                console.echo(f"出错了：{exc}")
    finally:
        task.cancel()
