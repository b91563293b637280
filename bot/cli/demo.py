"""``xinfang demo`` (three phones in the browser) and ``xinfang chat`` (the same in a terminal)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import webbrowser
from pathlib import Path

import click

PHONE_KEYS = ("citizen", "staff", "staff2", "leader", "supervisor")


def _quiet_logs() -> None:
    # The demo's own output is the URL and the chat; the service's INFO lines would drown it.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="演示页面监听地址（默认只允许本机访问）")
@click.option("--port", type=int, default=8700, show_default=True, help="演示页面端口（0 为任选空闲端口）")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="演示数据目录（默认用临时目录，退出后删除）")
def demo(host: str, port: int, no_browser: bool, data_dir: Path | None) -> None:
    """本地演示：在浏览器里并排显示群众、工作人员、领导三部“手机”，无需微信公众号。"""
    from bot.demo import RunningDemo, serve_until_stopped

    _quiet_logs()

    def ready(running: RunningDemo) -> None:
        cast = running.demo.cast
        assert cast is not None
        click.echo("")
        click.echo("信访服务号本地演示已启动（模拟微信平台，数据为临时 SQLite）")
        click.echo(f"  打开：{running.url}")
        click.echo(f"  群众：{cast['citizen'].name}   工作人员：{cast['staff'].name}（{cast['staff'].department}）"
                   f"   领导：{cast['leader'].title}{cast['leader'].name}（每周二上午接访）")
        click.echo("  终端里聊天：另开一个终端运行 xinfang chat --as citizen（或 staff、leader）")
        click.echo("  停止：按 Ctrl+C")
        click.echo("")
        if not no_browser:
            with contextlib.suppress(Exception):
                webbrowser.open(running.url)

    try:
        asyncio.run(serve_until_stopped(ready, host=host, port=port, data_dir=data_dir))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"无法在 {host}:{port} 启动演示页面：{exc}（换一个端口：--port）") from exc
    click.echo("演示已停止，临时数据已删除。" if data_dir is None else f"演示已停止，数据保留在 {data_dir}。")


@click.command()
@click.option("--as", "as_", type=click.Choice(PHONE_KEYS), default="citizen", show_default=True,
              help="以谁的身份聊天（聊天中可用 /as 切换）")
@click.option("--url", default="http://127.0.0.1:8700/", show_default=True,
              help="已在运行的 xinfang demo 的地址；连不上时在本进程内启动一个演示")
def chat(as_: str, url: str) -> None:
    """在终端里以群众、工作人员或领导的身份给公众号发消息（适合没有浏览器的服务器）。"""
    from bot.demo.console import run_console

    _quiet_logs()
    with contextlib.suppress(KeyboardInterrupt, EOFError):
        asyncio.run(run_console(as_, url, echo=click.echo))
    click.echo("再见。")
