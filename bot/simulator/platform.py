"""The fake WeChat platform: a real aiohttp server speaking the parts of the WeChat API the bot uses.

It issues and checks access tokens, accepts customer-service and template messages into a per-user
"phone inbox", serves temporary media, records every call, and can be told to misbehave the ways
WeChat does (system busy, expired tokens, quotas, the 48-hour window, slow answers). Its notion of
time is the clock it is given, so a ``FakeClock`` shared with the bot can expire tokens and media
or end a failure window without anybody sleeping.

It also owns the inbound side: ``user()`` returns a ``FakeUser`` that pushes signed messages to the
bot's webhook, and the platform hears about those pushes to keep the 48-hour window and the media
the messages refer to.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.simulator.inbound import FakeUser, WebhookSender

log = logging.getLogger(__name__)

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40007: "invalid media_id",
    40013: "invalid appid",
    40014: "invalid access_token",
    40016: "invalid button size",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    45002: "content size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}

TOKEN_ENDPOINTS = frozenset({"token", "stable_token"})
CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)
# Size limits WeChat enforces: a customer-service text's bytes, a template keyword value's characters.
CUSTOM_TEXT_MAX_BYTES = 2048
TEMPLATE_VALUE_MAX_CHARS = 200
# Customer-service messages allowed per message the person sent (WeChat's current limit).
REPLIES_PER_MESSAGE = 5
MEDIA_LIFETIME = timedelta(days=3)
# stable_token in normal mode hands out a new token only when the old one is about to run out.
STABLE_RENEW_BEFORE = timedelta(minutes=5)


def endpoint_key(name: str) -> str:
    """``/cgi-bin/message/custom/send`` and ``message/custom/send`` name the same endpoint."""
    name = name.strip().lstrip("/")
    return name.removeprefix("cgi-bin/")


@dataclass
class ApiCall:
    """One request the bot made, and what the platform answered."""

    endpoint: str
    method: str
    openid: str | None
    payload: Any
    params: dict[str, str]
    time: datetime
    errcode: int
    result: dict[str, Any] | None


@dataclass
class InboxMessage:
    """A message as it shows up on the person's phone."""

    kind: str  # "text", "image", "template", or another customer-service msgtype
    text: str
    time: datetime
    payload: dict[str, Any]
    msgid: str | None = None
    template_id: str | None = None


@dataclass
class _Failure:
    errcode: int
    errmsg: str
    remaining: int | None = None  # calls left to fail; None: until ``until``
    until: datetime | None = None


@dataclass
class _Delay:
    seconds: float
    remaining: int | None


@dataclass
class _Token:
    kind: str
    expires_at: datetime
    revoked: bool = False


@dataclass
class _Media:
    data: bytes
    content_type: str
    created: datetime


@dataclass
class _Person:
    last_message_at: datetime | None = None
    sent_since_last_message: int = 0
    unsubscribed: bool = False
    inbox: list[InboxMessage] = field(default_factory=list)


class FakeWeChat:
    """State and HTTP server of the fake platform; start it with ``running()`` or ``start()``."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        appid: str | None = None,
        secret: str | None = None,
        original_id: str = "gh_fakexinfang01",
        token_ttl: int = 7200,
        host: str = "127.0.0.1",
        port: int = 0,
        enforce_window: bool = False,
        templates: dict[str, str] | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.appid = appid or "wx" + secrets.token_hex(8)
        self.secret = secret or secrets.token_hex(16)
        self.original_id = original_id
        self.token_ttl = token_ttl
        self.host = host
        self.port = port
        # Off by default so tests that never push a user message can still send to that user.
        self.enforce_window = enforce_window
        # Known template ids -> titles; when empty any template id is accepted.
        self.templates: dict[str, str] = dict(templates or {})
        self.calls: list[ApiCall] = []
        self.token_issuances = 0
        self.menu: dict[str, Any] | None = None
        self._tokens: dict[str, _Token] = {}
        self._current: dict[str, str] = {}  # kind -> latest token
        self._media: dict[str, _Media] = {}
        # Temporary media the bot uploaded (media/upload): media_id -> (type, bytes, content type).
        self.uploads: dict[str, tuple[str, bytes, str]] = {}
        self._people: dict[str, _Person] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._delays: dict[str, _Delay] = {}
        self._quota: dict[str, int] = {}
        self._template_msgid = itertools.count(2_800_000_000 + secrets.randbelow(10**8))
        self._msgids = itertools.count(24_000_000_000_000_000 + secrets.randbelow(10**12))
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.api_base = ""

    # --- lifecycle ------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def running(cls, clock: Clock | None = None, **kwargs: Any) -> AsyncIterator[FakeWeChat]:
        wx = cls(clock=clock, **kwargs)
        await wx.start()
        try:
            yield wx
        finally:
            await wx.stop()

    async def start(self) -> str:
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.port = port
        self.api_base = f"http://{host}:{port}"
        self._http = aiohttp.ClientSession()
        return self.api_base

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{tail:.*}", self._handle)
        app.router.add_get("/_sim/calls", self._sim_calls)
        app.router.add_get("/_sim/inbox/{openid}", self._sim_inbox)
        return app

    # --- the inbound side -----------------------------------------------------------------

    def sender(
        self,
        webhook_url: str,
        token: str,
        aes_key: str | None = None,
        *,
        http: aiohttp.ClientSession | None = None,
    ) -> WebhookSender:
        """Pushes to ``webhook_url`` as this account's WeChat, sharing MsgIds, clock and media."""
        session = http or self._http
        if session is None:
            raise RuntimeError("start the platform first, or pass an aiohttp session")
        return WebhookSender(
            session,
            webhook_url,
            token,
            self.appid,
            aes_key,
            original_id=self.original_id,
            clock=self.clock,
            msgids=self._msgids,
            on_push=self._heard_push,
            on_media=self._register_user_media,
        )

    def user(self, openid: str, webhook_url: str, token: str, aes_key: str | None = None) -> FakeUser:
        return self.sender(webhook_url, token, aes_key).user(openid)

    def _heard_push(self, openid: str, message: dict[str, Any]) -> None:
        person = self._person(openid)
        event = message.get("Event")
        if event == "unsubscribe":
            person.unsubscribed = True
            return
        if event == "subscribe":
            person.unsubscribed = False
        if event == "TEMPLATESENDJOBFINISH":
            return  # sent by WeChat itself, not an interaction of the person
        # Any interaction opens (or re-opens) the 48-hour window and the reply allowance.
        person.last_message_at = self.clock.now()
        person.sent_since_last_message = 0

    def _register_user_media(self, media_id: str, data: bytes, content_type: str) -> None:
        self._media[media_id] = _Media(data, content_type, self.clock.now())

    # --- state for tests ------------------------------------------------------------------

    def inbox(self, openid: str) -> list[InboxMessage]:
        return list(self._person(openid).inbox)

    def inbox_texts(self, openid: str) -> list[str]:
        return [m.text for m in self._person(openid).inbox]

    def calls_to(self, endpoint: str) -> list[ApiCall]:
        key = endpoint_key(endpoint)
        return [c for c in self.calls if c.endpoint == key]

    def register_media(
        self, data: bytes, content_type: str = "image/jpeg", media_id: str | None = None
    ) -> str:
        media_id = media_id or "MEDIA_" + secrets.token_hex(16)
        self._register_user_media(media_id, data, content_type)
        return media_id

    def note_user_message(self, openid: str, when: datetime | None = None) -> None:
        """The person wrote to the account (at ``when``): customer-service messages are allowed."""
        person = self._person(openid)
        person.last_message_at = when or self.clock.now()
        person.sent_since_last_message = 0

    def set_unsubscribed(self, openid: str, unsubscribed: bool = True) -> None:
        self._person(openid).unsubscribed = unsubscribed

    def _person(self, openid: str) -> _Person:
        return self._people.setdefault(openid, _Person())

    # --- error injection ------------------------------------------------------------------

    def fail_next(self, endpoint: str, errcode: int, count: int = 1, errmsg: str | None = None) -> None:
        """The next ``count`` calls of ``endpoint`` ("*" for any) answer ``errcode``."""
        self._failures.setdefault(endpoint_key(endpoint), []).append(
            _Failure(errcode, errmsg or ERRMSG.get(errcode, "error"), remaining=count)
        )

    def fail_for(self, endpoint: str, errcode: int, seconds: float, errmsg: str | None = None) -> None:
        """Calls of ``endpoint`` answer ``errcode`` until the platform's clock has moved ``seconds`` on."""
        until = self.clock.now() + timedelta(seconds=seconds)
        self._failures.setdefault(endpoint_key(endpoint), []).append(
            _Failure(errcode, errmsg or ERRMSG.get(errcode, "error"), until=until)
        )

    def delay_next(self, endpoint: str, seconds: float, count: int | None = 1) -> None:
        """Answer the next ``count`` calls (None: all) ``seconds`` late, in real time.

        The delayed call is still carried out, as on the real platform: a client that timed out
        and retried may deliver the message twice.
        """
        self._delays[endpoint_key(endpoint)] = _Delay(seconds, count)

    def set_quota(self, endpoint: str, remaining: int) -> None:
        """After ``remaining`` more successful calls, ``endpoint`` answers 45009 (daily quota)."""
        self._quota[endpoint_key(endpoint)] = remaining

    def expire_all_tokens(self) -> None:
        """Every issued token is now expired (42001), as after two hours."""
        past = self.clock.now() - timedelta(seconds=1)
        for tok in self._tokens.values():
            tok.expires_at = min(tok.expires_at, past)

    def issue_token(self) -> str:
        """A valid token without going through the token endpoint (counts as an issuance)."""
        return str(self._issue("stable")["access_token"])

    def revoke_all_tokens(self) -> None:
        """Every issued token is now invalid (40001), as after a refresh elsewhere."""
        for tok in self._tokens.values():
            tok.revoked = True

    def clear_failures(self) -> None:
        self._failures.clear()
        self._delays.clear()
        self._quota.clear()

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        key = endpoint_key(request.match_info["tail"])
        params = dict(request.query)
        payload: Any = None
        if request.method == "POST" and request.content_type == "multipart/form-data":
            # media/upload: the file comes as a form field named "media".
            form = await request.post()
            upload = form.get("media")
            payload = {}
            if upload is not None and hasattr(upload, "file"):
                payload = {"media": {"filename": upload.filename, "content_type": upload.content_type},
                           "_data": upload.file.read()}
        elif request.method == "POST":
            raw = await request.read()
            if raw:
                try:
                    payload = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    return self._answer(key, request.method, params, None, {"errcode": 47001})
        await self._maybe_delay(key)
        failure = self._injected_failure(key)
        if failure is not None:
            return self._answer(
                key, request.method, params, payload, {"errcode": failure.errcode, "errmsg": failure.errmsg}
            )
        if key in TOKEN_ENDPOINTS:
            return self._answer(
                key, request.method, params, payload, self._token_endpoint(key, params, payload)
            )
        token_error = self._check_token(params.get("access_token"))
        if token_error:
            return self._answer(key, request.method, params, payload, {"errcode": token_error})
        if key in self._quota and self._quota[key] <= 0:
            return self._answer(key, request.method, params, payload, {"errcode": 45009})
        handler = self._endpoints.get(key)
        if handler is None:
            return self._answer(
                key, request.method, params, payload, {"errcode": 48001, "errmsg": "api unauthorized"}
            )
        outcome = handler(self, params, payload)
        if isinstance(outcome, web.Response):
            self._consume_quota(key)
            self._record(key, request.method, params, payload, 0, None)
            return outcome
        if not outcome.get("errcode"):
            self._consume_quota(key)
        return self._answer(key, request.method, params, payload, outcome)

    async def _maybe_delay(self, key: str) -> None:
        delay = self._delays.get(key) or self._delays.get("*")
        if delay is None:
            return
        if delay.remaining is not None:
            delay.remaining -= 1
            if delay.remaining <= 0:
                self._delays = {k: v for k, v in self._delays.items() if v is not delay}
        await asyncio.sleep(delay.seconds)

    def _injected_failure(self, key: str) -> _Failure | None:
        now = self.clock.now()
        for name in (key, "*"):
            pending = self._failures.get(name, [])
            for failure in list(pending):
                if failure.until is not None:
                    if now < failure.until:
                        return failure
                    pending.remove(failure)
                elif failure.remaining:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        pending.remove(failure)
                    return failure
        return None

    def _consume_quota(self, key: str) -> None:
        if key in self._quota:
            self._quota[key] -= 1

    def _answer(
        self,
        key: str,
        method: str,
        params: dict[str, str],
        payload: Any,
        result: dict[str, Any],
        content_type: str = "application/json",
    ) -> web.Response:
        errcode = int(result.get("errcode") or 0)
        if errcode and "errmsg" not in result:
            result = result | {"errmsg": ERRMSG.get(errcode, "error")}
        if key not in TOKEN_ENDPOINTS:
            result.setdefault("errcode", 0)
            result.setdefault("errmsg", "ok")
        self._record(key, method, params, payload, errcode, result)
        if errcode and key == "media/get":
            # WeChat labels media errors text/plain; clients must sniff the body.
            content_type = "text/plain"
        return web.Response(
            body=json.dumps(result, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": f"{content_type}; encoding=utf-8"},
        )

    def _record(
        self,
        key: str,
        method: str,
        params: dict[str, str],
        payload: Any,
        errcode: int,
        result: dict[str, Any] | None,
    ) -> None:
        shown = {k: v for k, v in params.items() if k not in ("access_token", "secret")}
        if isinstance(payload, dict) and "_data" in payload:  # an upload's bytes: recorded as a size
            payload = {k: v for k, v in payload.items() if k != "_data"} | {"size": len(payload["_data"])}
        if isinstance(payload, dict) and "secret" in payload:
            payload = payload | {"secret": "***"}
        openid = payload.get("touser") if isinstance(payload, dict) else None
        self.calls.append(ApiCall(key, method, openid, payload, shown, self.clock.now(), errcode, result))

    # --- tokens ---------------------------------------------------------------------------

    def _token_endpoint(self, key: str, params: dict[str, str], payload: Any) -> dict[str, Any]:
        source = params if key == "token" else (payload if isinstance(payload, dict) else {})
        if source.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if source.get("appid") != self.appid:
            return {"errcode": 40013}
        if source.get("secret") != self.secret:
            return {"errcode": 40125}
        now = self.clock.now()
        if key == "stable_token":
            current = self._tokens.get(self._current.get("stable", ""))
            force = source.get("force_refresh") in (True, "true", 1)
            if (
                current
                and not force
                and not current.revoked
                and current.expires_at - now > STABLE_RENEW_BEFORE
            ):
                token = self._current["stable"]
                return {"access_token": token, "expires_in": int((current.expires_at - now).total_seconds())}
            if current and force:
                current.revoked = True
            return self._issue("stable")
        # /cgi-bin/token: every call issues a new token; the previous one lives five more minutes.
        previous = self._tokens.get(self._current.get("plain", ""))
        if previous:
            previous.expires_at = min(previous.expires_at, now + timedelta(minutes=5))
        return self._issue("plain")

    def _issue(self, kind: str) -> dict[str, Any]:
        token = secrets.token_urlsafe(48)
        self._tokens[token] = _Token(kind, self.clock.now() + timedelta(seconds=self.token_ttl))
        self._current[kind] = token
        self.token_issuances += 1
        return {"access_token": token, "expires_in": self.token_ttl}

    def _check_token(self, token: str | None) -> int:
        if not token:
            return 41001
        info = self._tokens.get(token)
        if info is None or info.revoked:
            return 40001
        if self.clock.now() >= info.expires_at:
            return 42001
        return 0

    # --- endpoints ------------------------------------------------------------------------

    def _custom_send(self, params: dict[str, str], payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            return {"errcode": 44002}
        openid = payload.get("touser")
        msgtype = payload.get("msgtype")
        if not openid or not isinstance(openid, str):
            return {"errcode": 40003}
        person = self._person(openid)
        if person.unsubscribed:
            return {"errcode": 43004}
        if self.enforce_window:
            last = person.last_message_at
            if last is None or self.clock.now() - last > CUSTOMER_SERVICE_WINDOW:
                return {"errcode": 45015}
            if person.sent_since_last_message >= REPLIES_PER_MESSAGE:
                return {"errcode": 45047}
        body = payload.get(msgtype) if isinstance(msgtype, str) else None
        if not isinstance(body, dict):
            return {"errcode": 47001}
        if msgtype == "text":
            if not isinstance(body.get("content"), str) or not body["content"]:
                return {"errcode": 47001}
            if len(body["content"].encode("utf-8")) > CUSTOM_TEXT_MAX_BYTES:
                return {"errcode": 45002}
            text = body["content"]
        elif msgtype in ("image", "voice"):
            if not body.get("media_id"):
                return {"errcode": 40007}
            text = f"[{msgtype} {body['media_id']}]"
        else:
            text = f"[{msgtype}] {json.dumps(body, ensure_ascii=False)}"
        person.sent_since_last_message += 1
        person.inbox.append(InboxMessage(str(msgtype), text, self.clock.now(), payload))
        return {"errcode": 0}

    def _template_send(self, params: dict[str, str], payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            return {"errcode": 44002}
        openid = payload.get("touser")
        template_id = payload.get("template_id")
        data = payload.get("data")
        if not openid or not isinstance(openid, str):
            return {"errcode": 40003}
        if not template_id or (self.templates and template_id not in self.templates):
            return {"errcode": 40037}
        if not isinstance(data, dict) or not all(isinstance(v, dict) and "value" in v for v in data.values()):
            return {"errcode": 47001}
        if any(len(str(v["value"])) > TEMPLATE_VALUE_MAX_CHARS for v in data.values()):
            return {"errcode": 45002}
        if self._person(openid).unsubscribed:
            return {"errcode": 43004}
        msgid = str(next(self._template_msgid))
        title = self.templates.get(template_id, str(template_id))
        lines = [title] + [f"{k}: {v['value']}" for k, v in data.items()]
        if payload.get("url"):
            lines.append(f"详情: {payload['url']}")
        self._person(openid).inbox.append(
            InboxMessage(
                "template", "\n".join(lines), self.clock.now(), payload, msgid=msgid, template_id=template_id
            )
        )
        return {"errcode": 0, "msgid": int(msgid)}

    def _media_get(self, params: dict[str, str], payload: Any) -> dict[str, Any] | web.Response:
        media_id = params.get("media_id", "")
        media = self._media.get(media_id)
        if media is None or self.clock.now() - media.created > MEDIA_LIFETIME:
            return {"errcode": 40007}
        ext = {"image/jpeg": "jpg", "audio/amr": "amr", "image/png": "png"}.get(media.content_type, "bin")
        return web.Response(
            body=media.data,
            content_type=media.content_type,
            headers={"Content-Disposition": f'attachment; filename="{media_id}.{ext}"'},
        )

    def _media_upload(self, params: dict[str, str], payload: Any) -> dict[str, Any]:
        """Temporary media (image / voice) uploaded for a customer-service message; kept 3 days."""
        kind = params.get("type", "")
        if kind not in ("image", "voice", "video", "thumb"):
            return {"errcode": 40004, "errmsg": "invalid media type"}
        data = payload.get("_data") if isinstance(payload, dict) else None
        if not data:
            return {"errcode": 41005, "errmsg": "media data missing"}
        media_id = "UPLOAD_" + secrets.token_hex(16)
        content_type = payload["media"].get("content_type") or ("image/jpeg" if kind == "image" else "audio/amr")
        self._media[media_id] = _Media(data, content_type, self.clock.now())
        self.uploads[media_id] = (kind, data, content_type)
        return {"errcode": 0, "type": kind, "media_id": media_id, "created_at": int(self.clock.now().timestamp())}

    def _menu_create(self, params: dict[str, str], payload: Any) -> dict[str, Any]:
        buttons = payload.get("button") if isinstance(payload, dict) else None
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return {"errcode": 40016}
        self.menu = payload
        return {"errcode": 0}

    _endpoints: dict[str, Callable[[FakeWeChat, dict[str, str], Any], Any]] = {
        "message/custom/send": _custom_send,
        "message/template/send": _template_send,
        "media/get": _media_get,
        "media/upload": _media_upload,
        "menu/create": _menu_create,
    }

    # --- read-only views for the demo -----------------------------------------------------

    async def _sim_calls(self, request: web.Request) -> web.Response:
        return web.json_response([_jsonable(asdict(c)) for c in self.calls])

    async def _sim_inbox(self, request: web.Request) -> web.Response:
        return web.json_response([_jsonable(asdict(m)) for m in self.inbox(request.match_info["openid"])])


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}
