"""``xinfang media``: read an attachment from the media store, and move stored media between backends."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime
from storage.media_store import DB_PREFIX, MediaUnavailable
from storage.models import Attachment


@click.group()
def media() -> None:
    """附件（图片、语音）：查看、在本地目录与数据库之间迁移。"""


@media.command("show")
@click.argument("attachment_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写入文件（默认输出到标准输出）")
def show(attachment_id: int, out: Path | None) -> None:
    """读取附件内容；附件不可用时给出原因（退出码 1）。"""
    from bot.services.media import open_attachment

    async def body(rt: Runtime) -> tuple[bytes, str]:
        async with rt.sessions() as session:
            attachment = await session.get(Attachment, attachment_id)
        if attachment is None:
            raise MediaUnavailable(None, f"没有编号为 {attachment_id} 的附件")
        content = await open_attachment(rt, attachment)
        return content.data, content.content_type

    try:
        data, content_type = run_with_runtime(body)
    except MediaUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
    click.echo(f"{content_type} {len(data)} 字节", err=True)


@media.command("move")
@click.option("--to", "target", type=click.Choice(["database", "local"]), required=True,
              help="目标：database（数据库，多台主机可读）或 local（XINFANG_MEDIA_DIR 目录）")
def move(target: str) -> None:
    """把已保存的附件搬到另一种存储，并更新附件记录；原文件/记录在更新提交后删除。"""
    from bot.services.media import media_store

    async def body(rt: Runtime) -> tuple[int, list[str]]:
        store = media_store(rt)
        destination = store.database if target == "database" else store.local
        async with rt.sessions() as session:
            rows = (await session.execute(select(Attachment.id, Attachment.stored_path)
                                          .where(Attachment.stored_path.is_not(None)))).all()
        moved, problems = 0, []
        for attachment_id, ref in rows:
            if ref.startswith(DB_PREFIX) == (target == "database"):
                continue
            try:
                content = await store.open(ref)
            except MediaUnavailable as exc:
                problems.append(f"附件 #{attachment_id}：{exc}")
                continue
            new_ref = await destination.save(ref.removeprefix(DB_PREFIX), content.data, content.content_type)
            async with rt.sessions() as session, session.begin():
                row = await session.get(Attachment, attachment_id)
                if row is not None:
                    row.stored_path = new_ref
            await store.delete(ref)
            moved += 1
        return moved, problems

    moved, problems = run_with_runtime(body)
    click.echo(f"已迁移 {moved} 个附件到 {'数据库' if target == 'database' else '本地目录'}。")
    for line in problems:
        click.echo(line, err=True)
