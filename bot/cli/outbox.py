"""``xinfang outbox``: the messages that did not go out (failed or waiting), why, and retrying them."""

from __future__ import annotations

import json

import click

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime


@click.command()
@click.option("--retry", "retry_ids", type=int, multiple=True, help="重新发送指定编号的消息（可多次）")
@click.option("--retry-all", is_flag=True, help="重新发送全部失败和等待中的消息")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def outbox(retry_ids: tuple[int, ...], retry_all: bool, limit: int, as_json: bool) -> None:
    """列出发送失败（failed）和等待中（waiting）的消息及原因。"""
    from bot.outbox_sender import problem_messages, retry

    async def body(rt: Runtime) -> tuple[int | None, list[dict[str, object]]]:
        retried = None
        async with rt.sessions() as session, session.begin():
            if retry_all or retry_ids:
                retried = await retry(session, rt, None if retry_all else retry_ids)
            rows: list[dict[str, object]] = [{"id": m.id, "status": m.status, "kind": m.kind, "openid": m.openid, "case_id": m.case_id,
                     "attempts": m.attempts, "reason": m.last_error, "created_at": m.created_at.isoformat(),
                     "text": m.text} for m in await problem_messages(session, limit)]
        return retried, rows

    retried, rows = run_with_runtime(body)
    if as_json:
        click.echo(json.dumps({"retried": retried, "messages": rows}, ensure_ascii=False))
        return
    if retried is not None:
        click.echo(f"已重新排队 {retried} 条消息。")
    if not rows:
        click.echo("没有失败或等待中的消息。")
    for row in rows:
        preview = str(row["text"]).replace("\n", " ")[:40]
        click.echo(f"#{row['id']}\t{row['status']}\t{row['kind']}\t{row['openid']}\t"
                   f"尝试{row['attempts']}次\t原因：{row['reason'] or '-'}\t{preview}")
