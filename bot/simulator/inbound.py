"""The fake platform acting as WeChat towards the bot's webhook: signed (and encrypted) pushes.

Signatures are computed here from WeChat's documented rule (sha1 over the sorted strings), not with
the service's verification code, so a bug there cannot hide behind the same bug here. Only the AES
step uses wechatpy's ``PrpCrypto``, which is the reference implementation of WeChat's format.

Every push returns a ``WebhookResult`` with the exact request, so a test can replay it byte for
byte the way WeChat retries a push that got no answer within five seconds.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import xmltodict
from wechatpy.crypto import PrpCrypto

from bot.clock import Clock, SystemClock


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: sha1 of the parts sorted as strings and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def cdata(text: str) -> str:
    # "]]>" cannot appear inside one CDATA section; WeChat's own pushes split it the same way.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: dict[str, Any]) -> str:
    """WeChat push XML: strings in CDATA, numbers bare, in the given order."""
    parts = ["<xml>"]
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        body = str(value) if isinstance(value, int | float) else cdata(str(value))
        parts.append(f"<{name}>{body}</{name}>")
    parts.append("</xml>")
    return "".join(parts)


def parse_xml(text: str) -> dict[str, Any]:
    """Reply XML as a dict (``MsgType``, ``Content``, nested ``Articles``...); entities are refused."""
    doc = xmltodict.parse(text, disable_entities=True)
    root = doc.get("xml")
    if not isinstance(root, dict):
        raise InvalidReply(f"reply is not <xml>: {text[:200]!r}")
    return root


class InvalidReply(Exception):
    """The bot's reply is something WeChat would drop: bad signature, undecryptable, not XML."""


@dataclass(frozen=True)
class WebhookRequest:
    """Exactly what was sent, so it can be sent again unchanged."""

    method: str
    url: str
    query: dict[str, str]
    body: bytes = b""

    @property
    def timestamp(self) -> str:
        return self.query.get("timestamp", "")


@dataclass
class WebhookResult:
    request: WebhookRequest
    status: int
    body: bytes
    # Parsed (and in safe mode decrypted and verified) passive reply; None for "success"/empty.
    reply: dict[str, Any] | None
    elapsed: float
    # The plaintext message XML before encryption, for debugging tests.
    message_xml: str = ""
    message: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def reply_text(self) -> str | None:
        """The Content of a text reply, or None."""
        if self.reply and self.reply.get("MsgType") == "text":
            return self.reply.get("Content") or ""
        return None


# A tiny but well-formed JPEG (SOI, APP0/JFIF, EOI) and an AMR header: enough for type sniffing.
SAMPLE_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
SAMPLE_AMR = b"#!AMR\n" + bytes(32)


class WebhookSender:
    """Pushes messages for one official account to one webhook URL, as WeChat's servers do.

    ``on_push`` (set by ``FakeWeChat``) hears about every push so the platform can track the
    48-hour window and register the media the message refers to.
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        token: str,
        appid: str,
        aes_key: str | None = None,
        *,
        original_id: str = "gh_fakexinfang01",
        clock: Clock | None = None,
        msgids: Iterator[int] | None = None,
        timeout: float = 15.0,
        on_push: Callable[[str, dict[str, Any]], None] | None = None,
        on_media: Callable[[str, bytes, str], None] | None = None,
    ) -> None:
        self.http = http
        self.url = url
        self.token = token
        self.appid = appid
        self.aes_key = aes_key or None
        self.original_id = original_id
        self.clock = clock or SystemClock()
        self._msgids = msgids or itertools.count(24_000_000_000_000_000 + secrets.randbelow(10**12))
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._on_push = on_push
        self._on_media = on_media
        self._last_event_time: dict[str, int] = {}

    @property
    def safe_mode(self) -> bool:
        return self.aes_key is not None

    def next_msgid(self) -> int:
        return next(self._msgids)

    def register_media(self, media_id: str, data: bytes, content_type: str) -> None:
        """A user uploaded a photo or voice note: the platform must serve it from /cgi-bin/media/get."""
        if self._on_media is not None:
            self._on_media(media_id, data, content_type)

    def user(self, openid: str) -> FakeUser:
        return FakeUser(self, openid)

    def with_key(self, aes_key: str | None) -> WebhookSender:
        """The same account and webhook, encrypting with another key; MsgIds and event times shared."""
        other = WebhookSender(
            self.http,
            self.url,
            self.token,
            self.appid,
            aes_key,
            original_id=self.original_id,
            clock=self.clock,
            msgids=self._msgids,
            on_push=self._on_push,
            on_media=self._on_media,
        )
        other._timeout = self._timeout
        other._last_event_time = self._last_event_time
        return other

    # --- building requests ----------------------------------------------------------------

    def _now_ts(self) -> int:
        return int(self.clock.now().timestamp())

    def sign_query(
        self,
        *,
        openid: str | None = None,
        timestamp: str | int | None = None,
        nonce: str | None = None,
        bad_signature: bool = False,
    ) -> dict[str, str]:
        ts = str(self._now_ts() if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**10))
        sig = sha1_signature(self.token, ts, nonce)
        if bad_signature:
            sig = sha1_signature("not-the-token", ts, nonce)
        query = {"signature": sig, "timestamp": ts, "nonce": nonce}
        if openid:
            query["openid"] = openid
        return query

    def build_push(
        self,
        message: dict[str, Any],
        *,
        timestamp: str | int | None = None,
        nonce: str | None = None,
        bad_signature: bool = False,
        bad_msg_signature: bool = False,
        encrypt: str | None = None,
        aes_key: str | None = None,
    ) -> tuple[WebhookRequest, str]:
        """The POST WeChat would send for ``message``; ``encrypt`` replaces the ciphertext (still signed)."""
        openid = str(message.get("FromUserName", "")) or None
        query = self.sign_query(openid=openid, timestamp=timestamp, nonce=nonce, bad_signature=bad_signature)
        plain = build_xml(message)
        key = aes_key or self.aes_key
        if key is None and encrypt is None:
            return WebhookRequest("POST", self.url, query, plain.encode("utf-8")), plain
        if encrypt is None:
            encrypt = PrpCrypto(_aes_key_bytes(key)).encrypt(plain, self.appid).decode("ascii")  # type: ignore[arg-type]
        msg_sig = sha1_signature(self.token, query["timestamp"], query["nonce"], encrypt)
        if bad_msg_signature:
            msg_sig = sha1_signature("not-the-token", query["timestamp"], query["nonce"], encrypt)
        query.update({"encrypt_type": "aes", "msg_signature": msg_sig})
        body = build_xml({"ToUserName": message.get("ToUserName", self.original_id), "Encrypt": encrypt})
        return WebhookRequest("POST", self.url, query, body.encode("utf-8")), plain

    # --- sending --------------------------------------------------------------------------

    async def send(
        self, request: WebhookRequest, *, aes_key: str | None = None, message_xml: str = ""
    ) -> WebhookResult:
        """Send ``request`` as is (also for replays) and read the passive reply."""
        started = time.monotonic()
        async with self.http.request(
            request.method,
            request.url,
            params=request.query,
            data=request.body or None,
            headers={"Content-Type": "text/xml"} if request.body else None,
            timeout=self._timeout,
        ) as resp:
            body = await resp.read()
            status = resp.status
        elapsed = time.monotonic() - started
        reply = None
        if request.method == "POST" and status == 200:
            encrypted = "encrypt_type" in request.query
            reply = self.parse_reply(body, aes_key=(aes_key or self.aes_key) if encrypted else None)
        message = xmltodict.parse(message_xml)["xml"] if message_xml else {}
        return WebhookResult(request, status, body, reply, elapsed, message_xml, message)

    async def replay(
        self, earlier: WebhookResult | WebhookRequest, *, aes_key: str | None = None
    ) -> WebhookResult:
        """WeChat's retry: the very same query and body again."""
        request = earlier.request if isinstance(earlier, WebhookResult) else earlier
        xml = earlier.message_xml if isinstance(earlier, WebhookResult) else ""
        return await self.send(request, aes_key=aes_key, message_xml=xml)

    async def push(self, message: dict[str, Any], **forge: Any) -> WebhookResult:
        request, plain = self.build_push(message, **forge)
        if self._on_push is not None:
            self._on_push(str(message.get("FromUserName", "")), message)
        return await self.send(request, aes_key=forge.get("aes_key"), message_xml=plain)

    async def verify_url(self, echostr: str | None = None, **forge: Any) -> WebhookResult:
        """The GET WeChat sends when the URL is configured; the bot must echo ``echostr``."""
        echostr = echostr or str(secrets.randbelow(10**18))
        query = self.sign_query(**forge)
        query["echostr"] = echostr
        return await self.send(WebhookRequest("GET", self.url, query))

    def parse_reply(self, body: bytes, *, aes_key: str | None = None) -> dict[str, Any] | None:
        text = body.decode("utf-8", errors="strict").strip()
        if text in ("", "success"):
            return None
        root = parse_xml(text)
        if aes_key is None:
            return root
        encrypt = root.get("Encrypt")
        if not encrypt:
            raise InvalidReply("safe mode reply without <Encrypt>")
        expected = sha1_signature(
            self.token, str(root.get("TimeStamp", "")), str(root.get("Nonce", "")), encrypt
        )
        if root.get("MsgSignature") != expected:
            raise InvalidReply("reply MsgSignature does not match")
        try:
            plain = PrpCrypto(_aes_key_bytes(aes_key)).decrypt(encrypt, self.appid)
        except Exception as exc:  # wechatpy raises assorted types for bad padding/appid
            raise InvalidReply(f"reply does not decrypt with the key of the request: {exc!r}") from exc
        return parse_xml(plain)


def _aes_key_bytes(aes_key: str) -> bytes:
    key = base64.b64decode(aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters of base64 (32 bytes)")
    return key


def new_aes_key() -> str:
    """A random EncodingAESKey in WeChat's format (43 characters)."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


class FakeUser:
    """One WeChat user talking to the official account; each method pushes one message or event."""

    def __init__(self, sender: WebhookSender, openid: str) -> None:
        self.sender = sender
        self.openid = openid
        self.media: dict[str, tuple[bytes, str]] = {}

    def _base(self, msg_type: str, *, event_time: bool = False) -> dict[str, Any]:
        now = self.sender._now_ts()
        if event_time:
            # Events are deduplicated by FromUserName + CreateTime; two events of one user in one
            # clock second (a FakeClock that stands still) would look like a retry, so step on.
            last = self.sender._last_event_time.get(self.openid, 0)
            now = max(now, last + 1)
            self.sender._last_event_time[self.openid] = now
        return {
            "ToUserName": self.sender.original_id,
            "FromUserName": self.openid,
            "CreateTime": now,
            "MsgType": msg_type,
        }

    async def verify_url(self, echostr: str | None = None, **forge: Any) -> WebhookResult:
        return await self.sender.verify_url(echostr, **forge)

    async def text(self, content: str, **forge: Any) -> WebhookResult:
        msg = self._base("text") | {"Content": content, "MsgId": self.sender.next_msgid()}
        return await self.sender.push(msg, **forge)

    async def image(
        self,
        data: bytes = SAMPLE_JPEG,
        *,
        media_id: str | None = None,
        pic_url: str | None = None,
        **forge: Any,
    ) -> WebhookResult:
        media_id = media_id or _new_media_id()
        self.media[media_id] = (data, "image/jpeg")
        self.sender.register_media(media_id, data, "image/jpeg")
        pic_url = pic_url or f"http://mmbiz.qpic.cn/mmbiz_jpg/{media_id}/0"
        msg = self._base("image") | {
            "PicUrl": pic_url,
            "MsgId": self.sender.next_msgid(),
            "MediaId": media_id,
        }
        return await self.sender.push(msg, **forge)

    async def voice(
        self,
        data: bytes = SAMPLE_AMR,
        *,
        recognition: str | None = None,
        fmt: str = "amr",
        media_id: str | None = None,
        **forge: Any,
    ) -> WebhookResult:
        media_id = media_id or _new_media_id()
        self.media[media_id] = (data, "audio/amr" if fmt == "amr" else f"audio/{fmt}")
        self.sender.register_media(media_id, *self.media[media_id])
        msg = self._base("voice") | {"MediaId": media_id, "Format": fmt, "MsgId": self.sender.next_msgid()}
        if recognition is not None:
            msg["Recognition"] = recognition
        return await self.sender.push(msg, **forge)

    async def location(
        self, x: float, y: float, *, scale: int = 15, label: str = "", **forge: Any
    ) -> WebhookResult:
        msg = self._base("location") | {
            "Location_X": x,
            "Location_Y": y,
            "Scale": scale,
            "Label": label,
            "MsgId": self.sender.next_msgid(),
        }
        return await self.sender.push(msg, **forge)

    async def event(self, event: str, **fields_and_forge: Any) -> WebhookResult:
        forge_keys = {"timestamp", "nonce", "bad_signature", "bad_msg_signature", "encrypt", "aes_key"}
        forge = {k: v for k, v in fields_and_forge.items() if k in forge_keys}
        extra = {k: v for k, v in fields_and_forge.items() if k not in forge_keys}
        msg = self._base("event", event_time=True) | {"Event": event} | extra
        return await self.sender.push(msg, **forge)

    async def subscribe(self, scene: str | None = None, **forge: Any) -> WebhookResult:
        if scene is None:
            return await self.event("subscribe", EventKey="", **forge)
        return await self.event("subscribe", EventKey=f"qrscene_{scene}", Ticket=_ticket(), **forge)

    async def unsubscribe(self, **forge: Any) -> WebhookResult:
        return await self.event("unsubscribe", EventKey="", **forge)

    async def scan(self, scene: str, **forge: Any) -> WebhookResult:
        return await self.event("SCAN", EventKey=scene, Ticket=_ticket(), **forge)

    async def click(self, key: str, **forge: Any) -> WebhookResult:
        return await self.event("CLICK", EventKey=key, **forge)

    async def report_location(
        self, latitude: float, longitude: float, precision: float = 65.0, **forge: Any
    ) -> WebhookResult:
        return await self.event(
            "LOCATION", Latitude=latitude, Longitude=longitude, Precision=precision, **forge
        )

    async def template_finished(
        self, msgid: str | int, status: str = "success", **forge: Any
    ) -> WebhookResult:
        """WeChat's delivery report for a template message (Status: success, failed:user block, ...)."""
        return await self.event("TEMPLATESENDJOBFINISH", MsgID=int(msgid), Status=status, **forge)

    async def replay(self, earlier: WebhookResult, **kwargs: Any) -> WebhookResult:
        return await self.sender.replay(earlier, **kwargs)

    def with_key(self, aes_key: str) -> FakeUser:
        """The same user, but WeChat encrypts with ``aes_key`` (e.g. the previous key during rotation)."""
        user = FakeUser(self.sender.with_key(aes_key), self.openid)
        user.media = self.media
        return user


def _new_media_id() -> str:
    return "MEDIA_" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


def _ticket() -> str:
    return "gQ" + secrets.token_urlsafe(30)


__all__ = [
    "FakeUser",
    "InvalidReply",
    "SAMPLE_AMR",
    "SAMPLE_JPEG",
    "WebhookRequest",
    "WebhookResult",
    "WebhookSender",
    "build_xml",
    "cdata",
    "new_aes_key",
    "parse_xml",
    "sha1_signature",
]
