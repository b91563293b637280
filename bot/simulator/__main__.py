"""Run the fake WeChat API server on its own: ``python -m bot.simulator [--port N]``.

Prints the base URL, appid and secret to put into the bot's settings, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json

from bot.simulator.platform import FakeWeChat


async def serve(args: argparse.Namespace) -> None:
    wx = FakeWeChat(
        appid=args.appid,
        secret=args.secret,
        host=args.host,
        port=args.port,
        enforce_window=args.enforce_window,
    )
    await wx.start()
    try:
        # One line of JSON so a demo script can read the URL and credentials back.
        print(json.dumps({"api_base": wx.api_base, "appid": wx.appid, "secret": wx.secret}), flush=True)
        await asyncio.Event().wait()
    finally:
        await wx.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--appid", default=None)
    parser.add_argument("--secret", default=None)
    parser.add_argument(
        "--enforce-window", action="store_true", help="answer 45015 outside the 48-hour window"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
