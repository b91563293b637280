"""``xinfang db upgrade``: apply Alembic migrations to the configured database."""

from __future__ import annotations

import click

from bot.cli.common import load_settings
from storage import migrate


@click.group()
def db() -> None:
    """数据库迁移。"""


@db.command()
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """升级数据库结构到最新版本（可在旧进程运行时执行：迁移只做增量修改）。"""
    settings = load_settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"数据库已升级到 {revision}：{_masked(settings.database_url)}")


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
