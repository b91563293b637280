"""Async client for the WeChat server API (access token, customer-service and template messages, media).

wechatpy's own client is synchronous, has no default timeout and refreshes the token without a
lock, so we keep this small client on aiohttp: one ``ClientSession`` passed in, a timeout on every
call, the token shared through the database (see ``bot.wechat.tokens``).

Retry policy, so that the outbox only sees errors it has to decide about:
- token rejected (40001, 42001, 40014): refresh the token once and repeat the call;
- system busy (-1), network errors and timeouts: a few attempts with exponential backoff;
- anything else (45015 outside the 48-hour window, 45009 quota, 43004 unsubscribed, ...): raised at
  once as ``WeChatAPIError``.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.settings import Settings
from bot.wechat.tokens import FetchedToken, TokenCache, TokenStore

log = logging.getLogger(__name__)

TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
BUSY_ERRCODE = -1
# Not a WeChat code: marks a call that never got an answer (connection error or timeout).
NETWORK_ERRCODE = -100
OUT_OF_WINDOW = 45015
QUOTA_EXCEEDED = 45009
RESPONSE_LIMIT = 45047
UNSUBSCRIBED = 43004


class WeChatAPIError(Exception):
    """WeChat answered with a non-zero ``errcode`` (or, for ``NETWORK_ERRCODE``, did not answer)."""

    def __init__(self, errcode: int, errmsg: str, *, path: str = "") -> None:
        super().__init__(f"WeChat API error {errcode} on {path or '?'}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed (the outbox backs off) rather than never."""
        return self.errcode in (BUSY_ERRCODE, NETWORK_ERRCODE) or self.errcode in TOKEN_ERRCODES


class WeChatNetworkError(WeChatAPIError):
    """No answer from WeChat after all attempts: connection refused, reset, or timed out."""

    def __init__(self, errmsg: str, *, path: str = "") -> None:
        super().__init__(NETWORK_ERRCODE, errmsg, path=path)


def default_holder() -> str:
    """Names this client in the token lease; unique per instance, readable in the table."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


Sleep = Callable[[float], Awaitable[object]]


class WeChatAPI:
    """The bot's outbound side of WeChat for one official account."""

    def __init__(
        self,
        settings: Settings,
        token_store: TokenStore,
        http: aiohttp.ClientSession,
        clock: Clock,
        holder: str | None = None,
        sleep: Sleep = asyncio.sleep,
        *,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        use_stable_token: bool = True,
        token_poll_interval: float = 0.05,
    ) -> None:
        self._settings = settings
        self._http = http
        self._base = settings.wechat_api_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=settings.api_timeout_seconds)
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._use_stable = use_stable_token
        self.holder = holder or default_holder()
        self.tokens = TokenCache(
            token_store,
            settings.wechat_appid,
            clock,
            self.holder,
            refresh_margin=timedelta(minutes=5),
            # Long enough to cover every attempt of one fetch, so nobody steals a live lease.
            lease=timedelta(seconds=settings.api_timeout_seconds * self._max_attempts + backoff_max * 2),
            # Waiting for another process's refresh is real waiting, not backoff: real sleep.
            poll_interval=token_poll_interval,
        )

    # --- access token -------------------------------------------------------------------------

    async def access_token(self, force: bool = False, *, stale: str | None = None) -> str:
        """The shared token; ``force`` replaces ``stale`` (or whatever is cached) with a new one."""
        return await self.tokens.get(self._fetch_token, force=force, stale=stale)

    async def _fetch_token(self, force: bool) -> FetchedToken:
        s = self._settings
        if self._use_stable:
            # stable_token does not invalidate a token other processes still hold, unlike /cgi-bin/token.
            body: dict[str, Any] = {
                "grant_type": "client_credential",
                "appid": s.wechat_appid,
                "secret": s.wechat_secret,
                "force_refresh": force,
            }
            data = await self._with_backoff("/cgi-bin/stable_token", "POST", json=body, params={})
        else:
            params = {"grant_type": "client_credential", "appid": s.wechat_appid, "secret": s.wechat_secret}
            data = await self._with_backoff("/cgi-bin/token", "GET", json=None, params=params)
        assert isinstance(data, dict)
        if data.get("errcode"):
            raise WeChatAPIError(int(data["errcode"]), str(data.get("errmsg", "")), path="token")
        return FetchedToken(token=str(data["access_token"]), expires_in=int(data.get("expires_in", 7200)))

    # --- generic call -------------------------------------------------------------------------

    async def call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Call ``path`` with the access token; returns the JSON answer (errcode 0) or raises."""
        result = await self._call(method, path, json=json, params=params)
        assert isinstance(result, dict)
        return result

    async def _call(
        self, method: str, path: str, *, json: Any, params: dict[str, str] | None, raw: bool = False
    ) -> dict[str, Any] | tuple[bytes, str]:
        token = await self.access_token()
        for token_attempt in range(2):
            query = dict(params or {})
            query["access_token"] = token
            result = await self._with_backoff(path, method, json=json, params=query, raw=raw)
            if isinstance(result, tuple):
                return result
            errcode = int(result.get("errcode") or 0)
            if errcode == 0:
                return result
            errmsg = str(result.get("errmsg", ""))
            if errcode in TOKEN_ERRCODES and token_attempt == 0:
                log.warning("WeChat rejected the access token (%s %s), refreshing", errcode, errmsg)
                token = await self.access_token(force=True, stale=token)
                continue
            raise WeChatAPIError(errcode, errmsg, path=path)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _with_backoff(
        self, path: str, method: str, *, json: Any, params: dict[str, str], raw: bool = False
    ) -> dict[str, Any] | tuple[bytes, str]:
        """One logical request: retried on system busy and on network trouble, nothing else."""
        last: WeChatAPIError | None = None
        for attempt in range(self._max_attempts):
            if attempt:
                delay = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
                await self._sleep(delay)
            try:
                result = await self._request(method, path, json=json, params=params, raw=raw)
            except (aiohttp.ClientError, TimeoutError) as exc:
                # TimeoutError: aiohttp's total timeout; ClientError: refused, reset, bad payload.
                last = WeChatNetworkError(f"{type(exc).__name__}: {exc}", path=path)
                log.warning("WeChat %s attempt %d failed: %s", path, attempt + 1, last.errmsg)
                continue
            if isinstance(result, dict) and result.get("errcode") == BUSY_ERRCODE:
                last = WeChatAPIError(BUSY_ERRCODE, str(result.get("errmsg", "system busy")), path=path)
                log.warning("WeChat %s attempt %d: system busy", path, attempt + 1)
                continue
            return result
        assert last is not None
        raise last

    async def _request(
        self, method: str, path: str, *, json: Any, params: dict[str, str], raw: bool
    ) -> dict[str, Any] | tuple[bytes, str]:
        url = self._base + path
        # ensure_ascii=False: WeChat shows \uXXXX escapes literally in some message types.
        data = None if json is None else jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        async with self._http.request(
            method, url, params=params, data=data, headers=headers, timeout=self._timeout
        ) as resp:
            body = await resp.read()
            content_type = resp.headers.get("Content-Type", "")
            if resp.status >= 500:
                # A gateway error in front of WeChat: as transient as system busy.
                return {"errcode": BUSY_ERRCODE, "errmsg": f"HTTP {resp.status}"}
            if raw and not _looks_like_json(content_type, body):
                return body, content_type.split(";")[0].strip() or "application/octet-stream"
            try:
                parsed = jsonlib.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise aiohttp.ClientPayloadError(f"non-JSON answer from {path}: HTTP {resp.status}") from exc
            if not isinstance(parsed, dict):
                raise aiohttp.ClientPayloadError(f"unexpected JSON from {path}")
            return parsed

    # --- messages -----------------------------------------------------------------------------

    async def send_custom_text(self, openid: str, text: str) -> dict[str, Any]:
        """Customer-service text message; only within 48 hours of the person's last message."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        return await self.call("POST", "/cgi-bin/message/custom/send", json=body)

    async def send_custom_image(self, openid: str, media_id: str) -> dict[str, Any]:
        body = {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}
        return await self.call("POST", "/cgi-bin/message/custom/send", json=body)

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str | None = None
    ) -> str:
        """Template message (works outside the 48-hour window); returns WeChat's msgid as text."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if url:
            body["url"] = url
        result = await self.call("POST", "/cgi-bin/message/template/send", json=body)
        return str(result["msgid"])

    async def download_media(self, media_id: str) -> tuple[bytes, str]:
        """A temporary media file (photo, voice) as (content, content type); they expire after 3 days."""
        result = await self._call(
            "GET", "/cgi-bin/media/get", json=None, params={"media_id": media_id}, raw=True
        )
        if isinstance(result, dict):
            # errcode 0 with a JSON body: a video, which WeChat answers with a download URL instead.
            raise WeChatAPIError(0, f"media {media_id} is not a file: {result}", path="/cgi-bin/media/get")
        return result

    async def create_menu(self, menu: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", "/cgi-bin/menu/create", json=menu)


def _looks_like_json(content_type: str, body: bytes) -> bool:
    # WeChat labels media errors sometimes as application/json, sometimes as text/plain.
    ct = content_type.lower()
    return ("json" in ct or ct.startswith("text/")) and body.lstrip()[:1] == b"{"
