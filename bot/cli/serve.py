"""``xinfang serve``: the webhook, the scheduler and the outbox sender, together or one by one."""

from __future__ import annotations

import logging

import click
from aiohttp import web

from bot import logs
from bot.cli.common import load_settings
from bot.settings import Settings
from storage import migrate

COMPONENTS = ("webhook", "scheduler", "sender")


@click.command()
@click.option("--host", default=None, help="监听地址（默认取配置 host）")
@click.option("--port", type=int, default=None, help="监听端口（默认取配置 port）")
@click.option("--only", "only", multiple=True, type=click.Choice(COMPONENTS), help="只运行指定组件，可重复")
@click.option("--no-scheduler", is_flag=True, help="不运行定时任务（多进程部署时只留一个调度进程）")
@click.option("--no-sender", is_flag=True, help="不运行消息发送")
@click.option("--migrate/--no-migrate", default=True, show_default=True, help="启动前执行数据库迁移")
def serve(host: str | None, port: int | None, only: tuple[str, ...], no_scheduler: bool, no_sender: bool,
          **_: object) -> None:
    """运行服务：微信消息接口 /wechat、定时任务与消息发送。"""
    settings = load_settings()
    components = set(only) if only else set(COMPONENTS)
    if no_scheduler:
        components.discard("scheduler")
    if no_sender:
        components.discard("sender")
    logs.set_role("+".join(sorted(components)))
    if "webhook" in components and not settings.wechat_token:
        # Anyone can compute a signature over an empty token: the webhook would accept any request.
        raise click.ClickException(
            "未配置 XINFANG_WECHAT_TOKEN（公众号后台“服务器配置”中的令牌 Token），拒绝启动微信消息接口 /wechat："
            "空令牌等于任何人都能伪造签名。请设置该环境变量后重试；只想体验，请运行 xinfang demo 或 xinfang chat。")
    if not settings.has_credentials:
        _announce(
            settings,
            "提示：未配置微信公众号凭据（XINFANG_WECHAT_APPID / XINFANG_WECHAT_SECRET / XINFANG_WECHAT_TOKEN）。\n"
            "服务照常启动，但不会连接真实微信。想先体验完整流程，请运行：xinfang demo（本地模拟器）。",
        )
    from bot.holidays import HolidaysError
    from bot.services.calendar import Calendar

    try:
        Calendar.from_settings(settings)  # a bad holidays file stops here, naming its line
    except HolidaysError as exc:
        raise click.ClickException(f"节假日文件有误，服务未启动：{exc}") from None
    if _.get("migrate", True):
        migrate.upgrade(settings.database_url)
    from bot.app import create_app

    app = create_app(settings, components=components)
    host = host or settings.host
    port = port or settings.port
    _announce(settings, f"xinfang 服务已启动：http://{host}:{port}/wechat（组件：{', '.join(sorted(components))}）")
    # The access log: always in JSON (collectors want it), in a terminal only when debugging.
    wanted = settings.log_format == "json" or settings.log_level.upper() == "DEBUG"
    access_log = logging.getLogger("aiohttp.access") if wanted else None
    web.run_app(app, host=host, port=port, print=None, shutdown_timeout=10, access_log=access_log,
                access_log_class=logs.AccessLog)


def _announce(settings: Settings, text: str) -> None:
    # With JSON logs every stderr line must be a JSON object: the notice goes through logging then.
    if settings.log_format == "json":
        logging.getLogger("bot.cli.serve").warning("%s", text)
    else:
        click.echo(text, err=True)
