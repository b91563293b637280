"""``xinfang report``: the summary report (检查总结) for a month or a date range, as Markdown, xlsx or docx."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import click

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime
from bot.services.report_charts import NoCJKFont


@click.command()
@click.option("--month", help="统计月份 YYYY-MM")
@click.option("--from", "first", help="起始日期 YYYY-MM-DD（含），与 --to 同用")
@click.option("--to", "last", help="截止日期 YYYY-MM-DD（含）")
@click.option("--format", "fmt", type=click.Choice(["md", "xlsx", "docx"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True),
              help="输出文件（Markdown 默认输出到标准输出；xlsx/docx 默认 report-期间.xlsx/.docx）")
def report(month: str | None, first: str | None, last: str | None, fmt: str, out: str | None) -> None:
    """生成检查总结：总量及环比、分类、承办单位、按期率、满意率、重信重访、群体性苗头、包案、接访。"""
    if bool(month) == bool(first or last):
        raise click.UsageError("请给出 --month YYYY-MM，或同时给出 --from 与 --to")
    if month:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", month)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise click.BadParameter("月份格式为 YYYY-MM", param_hint="--month")
        slug = f"{int(m.group(1))}-{int(m.group(2)):02d}"
    else:
        if not (first and last):
            raise click.UsageError("--from 与 --to 需同时给出")
        try:
            d1, d2 = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError:
            raise click.BadParameter("日期格式为 YYYY-MM-DD") from None
        if d2 < d1:
            raise click.BadParameter("截止日期早于起始日期", param_hint="--to")
        slug = f"{d1.isoformat()}_{d2.isoformat()}"

    # Imported here so `xinfang --help` stays quick and does not load the rules or openpyxl.
    from bot.services import monthly_report as report_service
    from bot.services.statistics import Period, collect, month_period, range_period

    def period_for(rt: Runtime) -> Period:
        if month:
            assert m is not None
            return month_period(int(m.group(1)), int(m.group(2)), rt.tz)
        return range_period(d1, d2, rt.tz)

    target = out or f"report-{slug}.{fmt}"

    async def body(rt: Runtime) -> str | None:
        if fmt == "docx":
            from bot.services import report_docx

            async with rt.sessions() as session:
                data = await report_docx.report_docx(session, rt, period_for(rt))
            Path(target).write_bytes(data)
            return None
        async with rt.sessions() as session:
            stats = await collect(session, rt, period_for(rt))
        if fmt == "md":
            return report_service.render_markdown(stats)
        report_service.write_xlsx(stats, Path(target))
        return None

    try:
        text = run_with_runtime(body)
    except NoCJKFont as exc:  # no font for the charts' Chinese labels: say which package to install
        raise click.ClickException(str(exc)) from exc
    if text is not None:
        if out and out != "-":
            Path(out).write_text(text, encoding="utf-8")
            click.echo(f"已生成：{out}", err=True)
        else:
            click.echo(text, nl=False)
    else:
        click.echo(f"已生成：{target}", err=True)
