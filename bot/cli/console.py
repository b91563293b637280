"""``xinfang console``: the office web console as its own process (for the office network, behind nginx)."""

from __future__ import annotations

import click
from aiohttp import web

from bot.cli.common import load_settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", type=int, default=8090, show_default=True, help="监听端口")
@click.option("--migrate/--no-migrate", default=False, show_default=True,
              help="启动前执行数据库迁移（通常由 xinfang db upgrade 或 serve 完成）")
def console(host: str, port: int, migrate: bool) -> None:
    """运行办公控制台（网页）：待办、案卷、登记、统计、管理。登录链接在公众号发送“登录”获取。"""
    settings = load_settings()
    if migrate:
        from storage import migrate as migrations

        migrations.upgrade(settings.database_url)
    from bot.console import create_console_app
    from bot.console.app import HANDLER_ARGS

    app = create_console_app(settings)
    click.echo(f"办公控制台已启动：http://{host}:{port}/（登录链接地址 XINFANG_CONSOLE_URL={settings.console_url}）",
               err=True)
    web.run_app(app, host=host, port=port, print=None, shutdown_timeout=5, access_log=None,
                handler_args=HANDLER_ARGS)
