"""The demo engine: the real service, the fake WeChat platform around it, phones, and a time machine.

``Demo`` starts the fake platform, then the service app (webhook only) on a fresh SQLite file, seeds
the cast and keeps, per phone, the conversation as that person sees it: what they sent, the passive
replies, and whatever the service later sent through the API (customer-service or template messages,
read from what the fake platform recorded). The outbox sender and the scheduler's jobs are run by
the demo itself — after every message, every second, and at each step of a time jump — so a jump of
a week shows the 18:00 reception notice and each 09:00 overdue alert at their own moments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.app import RUNTIME, create_app
from bot.clock import FakeClock
from bot.demo.seed import Cast, seed
from bot.runtime import Runtime
from bot.services.media import wait_for_downloads
from bot.settings import Settings
from bot.simulator import FakeUser, FakeWeChat, WebhookResult, new_aes_key

log = logging.getLogger(__name__)

TOKEN = "xinfang-demo-token"
WEEKDAYS = "一二三四五六日"
# A time jump stops at each local moment the timed work of §4/§5 falls due (reception notices at
# 08:00 and 18:00, daily alerts at 09:00, 回头看 at 10:00) and runs the jobs and the sender there, so
# every day's notices appear at their own time; the jobs catch up on anything due in between.
JOB_HOURS = (8, 9, 10, 18)
MAX_JUMP = timedelta(days=60)
# Places the citizen's "send location" button offers (WeChat sends latitude, longitude and a label).
SAMPLE_LOCATION = {"x": 30.2741, "y": 120.1551, "label": "城关镇幸福路12号 幸福家园小区"}
SAMPLE_PHOTO = Path(__file__).parent / "static" / "sample.jpg"
# Outside a person's 48-hour window the sender needs a template id: one for every kind (the fake
# platform shows its title).
DEMO_TEMPLATE_ID = "demo-template-xinfang"
DEMO_TEMPLATE_TITLE = "信访事项通知"


class DemoClock(FakeClock):
    """A FakeClock that also runs with real time (messages get distinct times, a demo left open
    reaches 18:00 by itself); ``advance`` jumps it. ``ticking=False`` makes it a plain FakeClock."""

    def __init__(self, start: datetime, *, ticking: bool = True) -> None:
        super().__init__(start)
        self.ticking = ticking
        self._t0 = time.monotonic()

    def _elapsed(self) -> timedelta:
        return timedelta(seconds=time.monotonic() - self._t0) if self.ticking else timedelta(0)

    def now(self) -> datetime:
        return super().now() + self._elapsed()

    def set(self, when: datetime) -> None:
        super().set(when - self._elapsed())

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        super().advance(delta, **kwargs)
        return self.now()


def default_start(today: date, tz: ZoneInfo) -> datetime:
    """09:00 on the latest Monday on or before ``today``: the Tuesday reception day is tomorrow."""
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday, dtime(9, 0), tzinfo=tz).astimezone(UTC)


def clock_label(when: datetime, tz: ZoneInfo) -> str:
    local = when.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日 周{WEEKDAYS[local.weekday()]} {local:%H:%M}"


@dataclass
class Entry:
    """One bubble on a phone."""

    id: int
    phone: str
    side: str  # "me": the phone's owner sent it; "bot": the official account sent it
    kind: str  # text, image, location, template, news, event
    text: str
    at: str  # local time, HH:MM with date, as the phone shows it
    via: str = ""  # for "bot": reply (passive reply), custom (客服消息), template (模板消息)
    image: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Phone:
    key: str
    user: FakeUser
    entries: list[Entry] = field(default_factory=list)
    inbox_seen: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class DemoError(ValueError):
    """A request the page or the console got wrong (unknown phone, empty text, bad jump)."""


class Demo:
    """Everything of one demo run; ``async with Demo(data_dir) as demo:`` or ``start()``/``stop()``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        start: datetime | None = None,
        ticking: bool = True,
        pump_interval: float = 1.0,
        settings_overrides: dict[str, Any] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        tz = ZoneInfo((settings_overrides or {}).get("timezone", "Asia/Shanghai"))
        self.clock = DemoClock(start or default_start(datetime.now(tz).date(), tz), ticking=ticking)
        self.pump_interval = pump_interval
        self._overrides = dict(settings_overrides or {})
        self.wx = FakeWeChat(clock=self.clock, templates={DEMO_TEMPLATE_ID: DEMO_TEMPLATE_TITLE})
        self.settings: Settings | None = None
        self.cast: Cast | None = None
        self.phones: dict[str, Phone] = {}
        self.webhook_url = ""
        self._runner: web.AppRunner | None = None
        self._app: web.Application | None = None
        self._next_id = 1
        self._pump_lock = asyncio.Lock()
        self._pump_task: asyncio.Task[None] | None = None
        self._last_jobs_at: datetime | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Demo:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def rt(self) -> Runtime:
        assert self._app is not None, "demo not started"
        return self._app[RUNTIME]

    @property
    def tz(self) -> ZoneInfo:
        return self.rt.tz

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        db_file = self.data_dir / "demo.db"
        for stale in self.data_dir.glob("demo.db*"):
            stale.unlink()
        await self.wx.start()
        values: dict[str, Any] = dict(
            wechat_token=TOKEN, wechat_appid=self.wx.appid, wechat_secret=self.wx.secret,
            wechat_aes_key=new_aes_key(), wechat_api_base=self.wx.api_base,
            database_url=f"sqlite+aiosqlite:///{db_file}", media_dir=self.data_dir / "media",
            template_ids={"default": DEMO_TEMPLATE_ID},
        )
        values.update(self._overrides)
        self.settings = Settings(**values)
        await _create_schema(self.settings.database_url)
        # The demo runs the sender and the jobs itself (see pump / advance), so they follow the
        # FakeClock's jumps instead of APScheduler's wall clock.
        self._app = create_app(self.settings, self.clock, components={"webhook"})
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.webhook_url = f"http://{host}:{port}/wechat"
        self.cast = await seed(self.rt)
        for member in self.cast.members:
            user = self.wx.user(member.openid, self.webhook_url, TOKEN, self.settings.wechat_aes_key)
            self.phones[member.key] = Phone(member.key, user)
        # Followers as WeChat knows them: everyone has followed the account.
        for phone in self.phones.values():
            await self._push(phone, lambda user: user.subscribe(), show=False)
        await self.pump()
        if self.pump_interval > 0:
            self._pump_task = asyncio.create_task(self._pump_forever())

    async def stop(self) -> None:
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
            self._pump_task = None
        if self._runner is not None:
            await wait_for_downloads(self.rt)
            await self._runner.cleanup()
            self._runner = None
        await self.wx.stop()

    # --- what the page and the console see ------------------------------------------------

    def clock_info(self) -> dict[str, Any]:
        now = self.clock.now()
        return {"iso": now.astimezone(self.tz).isoformat(), "label": clock_label(now, self.tz)}

    def info(self) -> dict[str, Any]:
        assert self.cast is not None
        return {
            "clock": self.clock_info(),
            "phones": [m.as_dict() for m in self.cast.members],
            "sample_location": SAMPLE_LOCATION,
        }

    def entries(self, since: int = 0, phone: str | None = None) -> list[Entry]:
        found = [e for p in self.phones.values() if phone in (None, p.key) for e in p.entries if e.id > since]
        return sorted(found, key=lambda e: e.id)

    @property
    def last_id(self) -> int:
        return self._next_id - 1

    @property
    def errors(self) -> list[str]:
        return list(self.rt.handler_errors)

    # --- sending as a person --------------------------------------------------------------

    def phone(self, key: str) -> Phone:
        if key not in self.phones:
            raise DemoError(f"unknown phone {key!r}; one of {', '.join(self.phones)}")
        return self.phones[key]

    async def send_text(self, key: str, text: str) -> list[Entry]:
        text = text.strip()
        if not text:
            raise DemoError("empty message")
        phone = self.phone(key)
        return await self._push(phone, lambda user: user.text(text), mine=("text", text, None))

    async def send_photo(self, key: str) -> list[Entry]:
        data = SAMPLE_PHOTO.read_bytes()
        return await self._push(self.phone(key), lambda user: user.image(data),
                                mine=("image", "[图片]", "/static/sample.jpg"))

    async def send_location(self, key: str, x: float | None = None, y: float | None = None,
                            label: str | None = None) -> list[Entry]:
        x = SAMPLE_LOCATION["x"] if x is None else float(x)  # type: ignore[assignment]
        y = SAMPLE_LOCATION["y"] if y is None else float(y)  # type: ignore[assignment]
        label = label or str(SAMPLE_LOCATION["label"])
        return await self._push(self.phone(key), lambda user: user.location(x, y, label=label),
                                mine=("location", f"[位置] {label}", None))

    async def _push(self, phone: Phone, action: Any, *, mine: tuple[str, str, str | None] | None = None,
                    show: bool = True) -> list[Entry]:
        first = self._next_id
        async with phone.lock:
            if mine is not None:
                self._add(phone, "me", mine[0], mine[1], image=mine[2])
            result: WebhookResult = await action(phone.user)
            if result.status != 200:
                self._add(phone, "bot", "event", f"（服务返回 HTTP {result.status}）", via="error")
            elif result.reply and show:
                self._add_reply(phone, result.reply)
        await self.pump()
        return [e for e in self.entries(first - 1) if e.phone == phone.key or e.id >= first]

    def _add(self, phone: Phone, side: str, kind: str, text: str, *, via: str = "",
             image: str | None = None, when: datetime | None = None) -> Entry:
        local = (when or self.clock.now()).astimezone(self.tz)
        entry = Entry(self._next_id, phone.key, side, kind, text, local.strftime("%m-%d %H:%M"), via, image)
        self._next_id += 1
        phone.entries.append(entry)
        return entry

    def _add_reply(self, phone: Phone, reply: dict[str, Any]) -> None:
        msg_type = reply.get("MsgType")
        if msg_type == "text":
            self._add(phone, "bot", "text", str(reply.get("Content") or ""), via="reply")
        elif msg_type == "news":
            articles = (reply.get("Articles") or {}).get("item") or []
            if isinstance(articles, dict):
                articles = [articles]
            lines = [f"{a.get('Title', '')}\n{a.get('Description', '')}".strip() for a in articles]
            self._add(phone, "bot", "news", "\n\n".join(lines), via="reply")
        else:
            self._add(phone, "bot", str(msg_type or "event"), f"[{msg_type}]", via="reply")

    # --- the service's own outbound work --------------------------------------------------

    async def pump(self) -> int:
        """Deliver due outbox messages once and show what arrived on the phones."""
        async with self._pump_lock:
            # Photos are fetched from the platform after the reply; let that finish first, so a
            # message about the case never overtakes its own attachment.
            await wait_for_downloads(self.rt)
            sent = await _send_due(self.rt)
            self._collect()
            return sent

    def _collect(self) -> None:
        for phone in self.phones.values():
            inbox = self.wx.inbox(phone.user.openid)
            for message in inbox[phone.inbox_seen:]:
                if message.kind == "template":
                    self._add(phone, "bot", "template", _template_text(message.payload), via="template",
                              when=message.time)
                else:
                    self._add(phone, "bot", message.kind, message.text, via="custom", when=message.time)
            phone.inbox_seen = len(inbox)

    async def _pump_forever(self) -> None:
        while True:
            await asyncio.sleep(self.pump_interval)
            try:
                now = self.clock.now()
                # The clock runs with real time too: look for due jobs once per demo minute.
                if self._last_jobs_at is None or now - self._last_jobs_at >= timedelta(minutes=1):
                    await self.run_jobs()
                await self.pump()
            except Exception:  # a failing pass is logged; the demo keeps running
                log.exception("demo pump failed")

    async def run_jobs(self) -> dict[str, int]:
        async with self._pump_lock:
            self._last_jobs_at = self.clock.now()
            return await _run_due_jobs(self.rt)

    async def advance(self, *, hours: float = 0, days: float = 0, to: str | None = None) -> dict[str, Any]:
        """Jump the clock (by hours/days, or to the next local ``HH:MM``), running the jobs and the
        sender at every step on the way; returns the new clock and what happened."""
        now = self.clock.now()
        if to is not None:
            target = next_local(now, to, self.tz)
        else:
            target = now + timedelta(hours=float(hours), days=float(days))
        if target <= now:
            raise DemoError("time only moves forward")
        if target - now > MAX_JUMP:
            raise DemoError(f"at most {MAX_JUMP.days} days at once")
        first = self._next_id
        jobs: dict[str, int] = {}
        sent = 0
        for stop in job_moments(now, target, self.tz):
            self.clock.advance(stop - self.clock.now())
            for name, count in (await self.run_jobs()).items():
                jobs[name] = jobs.get(name, 0) + int(count or 0)
            sent += await self.pump()
        return {"clock": self.clock_info(), "jobs": {k: v for k, v in jobs.items() if v},
                "sent": sent, "entries": [e.as_dict() for e in self.entries(first - 1)]}


def job_moments(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """The local ``JOB_HOURS`` moments after ``start`` and before ``end``, then ``end`` itself."""
    moments = []
    day = start.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        for hour in JOB_HOURS:
            moment = datetime.combine(day, dtime(hour), tzinfo=tz).astimezone(UTC)
            if start < moment < end:
                moments.append(moment)
        day += timedelta(days=1)
    return [*moments, end]


def next_local(now: datetime, hhmm: str, tz: ZoneInfo) -> datetime:
    """The next moment (strictly after ``now``) whose local wall-clock time is ``hhmm``."""
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", hhmm.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise DemoError(f"time {hhmm!r} is not HH:MM")
    local = now.astimezone(tz)
    target = datetime.combine(local.date(), dtime(int(match.group(1)), int(match.group(2))), tzinfo=tz)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), target.timetz())
    return target.astimezone(UTC)


def _template_text(payload: dict[str, Any]) -> str:
    # The service puts the whole message into "content" and the essentials into other keywords.
    data = {k: str(v.get("value", "")) for k, v in (payload.get("data") or {}).items() if isinstance(v, dict)}
    content = data.pop("content", "")
    extra = [f"{k}：{v}" for k, v in data.items() if v and v not in content]
    return "\n".join([content, *extra]).strip() or str(payload)


async def _create_schema(url: str) -> None:
    # A fresh demo database: the models' tables as they are now (migrations are for real deployments).
    import storage.models  # noqa: F401
    from storage.base import Base
    from storage.engine import make_engine

    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    finally:
        await engine.dispose()


async def _send_due(rt: Runtime) -> int:
    from bot.outbox_sender import send_due

    return await send_due(rt)


async def _run_due_jobs(rt: Runtime) -> dict[str, int]:
    from bot.jobs.scheduler import run_due_jobs

    return await run_due_jobs(rt)
