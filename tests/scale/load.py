"""The load driver: citizens reporting through several webhook workers, with WeChat's retries.

Each citizen walks the report flow (description → place → phone → 确认), every step going to a
different worker than the one before, so the conversation only continues correctly if its state
lives in the shared database. A push that fails at the connection level (refused, reset, no answer)
is sent again unchanged to the next worker, as WeChat retries a push that got no answer. Replays can
also be forced: the very same request again after the answer, or to several workers at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.simulator import WebhookResult, WebhookSender

# What the bot answers at each step (handlers/texts/citizen.py); enough to tell the steps apart.
EXPECT = {
    "subscribe": "",  # any reply (the welcome text)
    "describe": "已收到您反映的问题",
    "image": "请发送问题发生的地点",
    "place": "地点：",
    "phone": "请核对",
    "confirm": "已登记，编号 XF",
    "query": "XF",
}

CONNECTION_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)


@dataclass
class Attempt:
    worker: str
    outcome: str  # "200", "HTTP 5xx", or the connection error's class name
    accepted: bool  # the TCP connection was accepted (anything but "connection refused")


@dataclass
class Message:
    """One logical push (one MsgId / event key) and everything that happened to it."""

    key: str
    openid: str
    step: str
    content: str
    attempts: list[Attempt] = field(default_factory=list)
    result: WebhookResult | None = None
    replays: list[WebhookResult] = field(default_factory=list)

    @property
    def acked(self) -> bool:
        return self.result is not None and self.result.status == 200

    @property
    def reply(self) -> str:
        return (self.result.reply_text or "") if self.result else ""


@dataclass
class Stats:
    messages: list[Message] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def acked(self) -> list[Message]:
        return [m for m in self.messages if m.acked]

    def outcomes(self) -> Counter[str]:
        return Counter(a.outcome for m in self.messages for a in m.attempts)

    def retried(self) -> int:
        return sum(1 for m in self.messages if len(m.attempts) > 1)


def dedupe_key(message: dict[str, Any]) -> str:
    """The bot's retry key for a push (bot.wechat.protocol.Inbound.dedupe_key)."""
    if message.get("MsgType") != "event":
        return f"m:{message['MsgId']}"
    return f"e:{message['FromUserName']}:{message['CreateTime']}:{message['Event']}"


class Driver:
    """Pushes messages to the webhook workers ``urls()`` (re-read per attempt: workers come and go)."""

    def __init__(self, sender: WebhookSender, urls: Callable[[], Sequence[tuple[str, str]]],
                 *, max_attempts: int = 40, retry_pause: float = 0.05) -> None:
        self.sender = sender
        self.urls = urls
        self.max_attempts = max_attempts
        self.retry_pause = retry_pause
        self.stats = Stats()
        self._event_time: dict[str, int] = {}

    # ---- building pushes ---------------------------------------------------------------------
    def _base(self, openid: str, msg_type: str) -> dict[str, Any]:
        return {"ToUserName": self.sender.original_id, "FromUserName": openid,
                "CreateTime": int(time.time()), "MsgType": msg_type}

    def text(self, openid: str, content: str) -> dict[str, Any]:
        return self._base(openid, "text") | {"Content": content, "MsgId": self.sender.next_msgid()}

    def image(self, openid: str, media_id: str, data: bytes) -> dict[str, Any]:
        self.sender.register_media(media_id, data, "image/jpeg")
        return self._base(openid, "image") | {"PicUrl": f"http://mmbiz.qpic.cn/{media_id}/0",
                                              "MediaId": media_id, "MsgId": self.sender.next_msgid()}

    def subscribe(self, openid: str) -> dict[str, Any]:
        msg = self._base(openid, "event") | {"Event": "subscribe", "EventKey": ""}
        # Events are keyed by FromUserName + CreateTime: never two of one user in one second.
        msg["CreateTime"] = max(msg["CreateTime"], self._event_time.get(openid, 0) + 1)
        self._event_time[openid] = msg["CreateTime"]
        return msg

    # ---- sending -----------------------------------------------------------------------------
    def _pick(self, index: int) -> tuple[str, str]:
        urls = self.urls()
        return urls[index % len(urls)]

    async def push(self, step: str, message: dict[str, Any], worker: int) -> Message:
        """Send until some worker answers 200 (a connection error moves on to the next worker)."""
        request, plain = self.sender.build_push(message)
        record = Message(dedupe_key(message), str(message["FromUserName"]), step,
                         str(message.get("Content") or message.get("Event") or message.get("MsgType")))
        self.stats.messages.append(record)
        for attempt in range(self.max_attempts):
            name, url = self._pick(worker + attempt)
            try:
                result = await self.sender.send(dataclasses.replace(request, url=url), message_xml=plain)
            except CONNECTION_ERRORS as exc:
                refused = isinstance(exc, aiohttp.ClientConnectorError)
                record.attempts.append(Attempt(name, type(exc).__name__, accepted=not refused))
                await asyncio.sleep(self.retry_pause)
                continue
            record.attempts.append(Attempt(name, str(result.status) if result.status == 200
                                           else f"HTTP {result.status}", accepted=True))
            if result.status == 200:
                record.result = result
                return record
            await asyncio.sleep(self.retry_pause)
        self.stats.problems.append(f"{record.key} ({step}) never acknowledged: {record.attempts}")
        return record

    async def replay_after(self, record: Message, worker: int) -> None:
        """WeChat's retry of a push whose answer it did not see: same bytes, another worker."""
        assert record.result is not None
        name, url = self._pick(worker)
        request = dataclasses.replace(record.result.request, url=url)
        result = await self.sender.send(request, message_xml=record.result.message_xml)
        record.replays.append(result)

    async def push_concurrently(self, step: str, message: dict[str, Any], workers: Sequence[int]) -> Message:
        """The same push to several workers at the same moment; the first answer is the result."""
        request, plain = self.sender.build_push(message)
        record = Message(dedupe_key(message), str(message["FromUserName"]), step,
                         str(message.get("Content") or message.get("Event")))
        self.stats.messages.append(record)
        results = await asyncio.gather(*(
            self.sender.send(dataclasses.replace(request, url=self._pick(w)[1]), message_xml=plain)
            for w in workers))
        for w, result in zip(workers, results, strict=True):
            record.attempts.append(Attempt(self._pick(w)[0], str(result.status), accepted=True))
        record.result, record.replays = results[0], list(results[1:])
        return record

    def check(self, record: Message) -> bool:
        """The reply is the one the flow's step calls for; replays got the very same reply."""
        ok = True
        if not record.acked:
            return False
        expected = EXPECT[record.step]
        if expected and expected not in record.reply:
            self.stats.problems.append(f"{record.openid} {record.step}: unexpected reply {record.reply!r}")
            ok = False
        for replay in record.replays:
            if replay.status != 200 or (replay.reply_text or "") != record.reply:
                self.stats.problems.append(
                    f"{record.openid} {record.step}: replay answered {replay.status} "
                    f"{replay.reply_text!r}, first answer {record.reply!r}")
                ok = False
        return ok


def description(i: int) -> str:
    topics = ("小区门口的路灯坏了好几天了，晚上很黑，老人出门不安全",
              "我们楼下的污水井堵了，污水流到路面上，臭味很大",
              "工地夜里十二点以后还在施工，噪音太大影响休息",
              "拖欠我三个月工资一直不给，老板也联系不上",
              "菜市场门口占道经营，车辆通行困难")
    return f"{topics[i % len(topics)]}（第{i}号反映）"


def place(i: int) -> str:
    return f"幸福路{i}号"


def phone(i: int) -> str:
    return f"139{i:08d}"
