"""``xinfang export``: the 信访台账 for a date range, as xlsx or CSV."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime


def _day(ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式为 YYYY-MM-DD") from None


@click.command()
@click.option("--from", "first", required=True, callback=_day, help="起始日期 YYYY-MM-DD（含）")
@click.option("--to", "last", required=True, callback=_day, help="截止日期 YYYY-MM-DD（含）")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True),
              help="输出文件（默认 ledger-起始-截止.格式；CSV 可用 - 输出到标准输出）")
@click.option("--for", "viewer_ref", default=None,
              help="按此人员（姓名或 ID）的权限导出：信访局工作人员和督查室可见检举控告类信访人身份，其他人不可见")
def export(first: date, last: date, fmt: str, out: str | None, viewer_ref: str | None) -> None:
    """导出信访台账（按登记日期，一案一行，电话已脱敏；检举控告类信访人身份默认隐去）。"""
    if last < first:
        raise click.BadParameter("截止日期早于起始日期", param_hint="--to")
    target = out or f"ledger-{first.isoformat()}_{last.isoformat()}.{fmt}"
    # Imported here so `xinfang --help` stays quick and does not load the rules or openpyxl.
    from bot.services import ledger
    from bot.services.reception import SessionError, find_person
    from bot.services.statistics import range_period

    async def body(rt: Runtime) -> int:
        period = range_period(first, last, rt.tz)
        async with rt.sessions() as session:
            viewer = None
            if viewer_ref is not None:
                try:
                    viewer = await find_person(session, viewer_ref)
                except SessionError as exc:
                    raise click.BadParameter(f"找不到唯一的人员：{viewer_ref}", param_hint="--for") from exc
            rows = await ledger.ledger_rows(session, rt, period, viewer)
        if fmt == "csv":
            data = ledger.csv_bytes(rows)
            if target == "-":
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            else:
                Path(target).write_bytes(data)
        else:
            ledger.write_xlsx(rows, Path(target), title=f"信访台账 {period.label}")
        return len(rows)

    count = run_with_runtime(body)
    if target != "-":
        click.echo(f"已导出 {count} 件：{target}", err=True)
