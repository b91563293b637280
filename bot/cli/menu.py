"""``xinfang menu``: the official account's custom menu — print its JSON, or push it to WeChat.

The CLICK keys are the contract with ``handlers.events``: report, query, reception schedule, help.
"""

from __future__ import annotations

from typing import Any

import click

from bot.menu import MENU, menu_json


@click.command("menu")
@click.option("--push", is_flag=True, help="Create the menu on WeChat (needs appid, secret and token set).")
def menu(push: bool) -> None:
    """打印（或 --push 推送）服务号自定义菜单 JSON。"""
    click.echo(menu_json())
    if not push:
        return
    from bot.cli.common import load_settings, run_with_runtime

    settings = load_settings()
    if not settings.has_credentials:
        raise click.ClickException("no WeChat credentials configured (XINFANG_WECHAT_APPID/SECRET/TOKEN)")

    async def body(rt: Any) -> dict[str, Any]:
        import aiohttp

        from bot.wechat.api import WeChatAPI
        from storage.repositories.tokens import SqlTokenStore

        timeout = aiohttp.ClientTimeout(total=settings.api_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            rt.api = WeChatAPI(settings, SqlTokenStore(rt.sessions), http, rt.clock)
            return await rt.api.create_menu(MENU)

    result = run_with_runtime(body, settings)
    click.echo(f"menu pushed: {result}")
