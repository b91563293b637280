"""The floor: a bare aiohttp server that checks WeChat's signatures and answers ``success``.

It does what every webhook must do before any of our code runs (read the body, verify the URL
signature and the timestamp, and in safe mode ``msg_signature`` over ``<Encrypt>``), and nothing
else, so service/floor throughput says how much of the machine our own code costs.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import time

from aiohttp import web

ENCRYPT = re.compile(rb"<Encrypt><!\[CDATA\[([^\]]*)\]\]></Encrypt>")


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def make_app(token: str, window: int = 300) -> web.Application:
    async def wechat(request: web.Request) -> web.Response:
        q = request.query
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not hmac.compare_digest(sha1_signature(token, timestamp, nonce), q.get("signature", "")):
            return web.Response(status=403, text="forbidden")
        try:
            if abs(time.time() - int(timestamp)) > window:
                return web.Response(status=403, text="stale timestamp")
        except ValueError:
            return web.Response(status=403, text="stale timestamp")
        body = await request.read()
        if q.get("encrypt_type") == "aes":
            m = ENCRYPT.search(body)
            if m is None:
                return web.Response(status=400, text="bad request")
            expected = sha1_signature(token, timestamp, nonce, m.group(1).decode("ascii", "replace"))
            if not hmac.compare_digest(expected, q.get("msg_signature", "")):
                return web.Response(status=403, text="forbidden")
        return web.Response(text="success")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/wechat", wechat)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    ap = argparse.ArgumentParser(description="bare aiohttp webhook floor")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    web.run_app(make_app(args.token), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
