"""Log set-up: plain text for a terminal (the default) or one JSON object per line for a collector.

``XINFANG_LOG_FORMAT=json`` makes every record one line with ``time``, ``level``, ``logger``,
``message``, ``role`` (the components this process runs), and where known ``openid_hash`` (never the
openid itself) and ``case`` (a case number). Mobile and ID numbers are masked in every message and
traceback, in both formats, because logs leave the machine more easily than the database does.

What is "known" comes from a context variable: the webhook binds the sender's openid for the
request it handles (``bind(openid=...)``), jobs may bind a case number; a case number that appears
in the message text is picked up too. The access log (``AccessLog``) logs the path without the query
string — WeChat puts the openid and the signature there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from nlp.pii import mask_pii

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_CASE_NUMBER = re.compile(r"XF\d{8}-\d{4}")
# Fields an access-log record carries besides the message.
_EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "remote", "openid_hash")

_context: ContextVar[dict[str, str]] = ContextVar("xinfang_log_context", default={})  # noqa: B039 (never mutated)
_role = "cli"


def openid_hash(openid: str) -> str:
    """A stable, non-reversible tag for one person across log lines (12 hex digits of SHA-256)."""
    return hashlib.sha256(openid.encode()).hexdigest()[:12]


def bind(*, openid: str | None = None, case: str | None = None) -> None:
    """Attach the openid (hashed) and/or case number to the log records of the current task."""
    values = dict(_context.get())
    if openid:
        values["openid_hash"] = openid_hash(openid)
    if case:
        values["case"] = case
    _context.set(values)


def set_role(role: str) -> None:
    global _role
    _role = role


class MaskingTextFormatter(logging.Formatter):
    """The plain format, with phone and ID numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = mask_pii(record.getMessage())
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "role": _role,
        }
        entry.update(_context.get())
        entry.update({k: v for k, v in vars(record).items() if k in _EXTRA_FIELDS})
        if "case" not in entry and (found := _CASE_NUMBER.search(message)):
            entry["case"] = found.group(0)
        if record.exc_info:
            entry["exception"] = mask_pii(self.formatException(record.exc_info))
        elif record.stack_info:
            entry["stack"] = mask_pii(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO", fmt: str = "text", role: str | None = None) -> None:
    """Replace the root logger's handlers with one stderr handler in the chosen format."""
    if role:
        set_role(role)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else MaskingTextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


class AccessLog(AbstractAccessLogger):
    """One INFO record per request: method, path (no query string), status, duration."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        extra: dict[str, Any] = {"method": request.method, "path": request.path, "status": response.status,
                                 "duration_ms": round(time * 1000, 1), "remote": request.remote}
        openid = request.query.get("openid")
        if openid:
            extra["openid_hash"] = openid_hash(openid)
        self.logger.info("%s %s %s %.1fms", request.method, request.path, response.status, time * 1000,
                         extra=extra)


def own_context(handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``handler`` with a fresh log context per request: aiohttp runs a keep-alive connection's
    requests in one task, so what one request bound would otherwise label the next one's lines.
    (Wrapped around the routes that bind, the webhook; a middleware would cost every route.)"""
    async def with_own_context(request: web.Request) -> web.StreamResponse:
        token = _context.set({})
        try:
            return await handler(request)
        finally:
            _context.reset(token)

    return with_own_context
