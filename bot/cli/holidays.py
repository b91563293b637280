"""``xinfang holidays check``: which years working-day deadlines know the holidays of."""

from __future__ import annotations

import json
from datetime import date

import click

from bot.cli.common import load_settings


@click.group()
def holidays() -> None:
    """节假日与调休（按工作日计算期限时使用）。"""


@holidays.command("check")
@click.option("--file", "path", type=click.Path(dir_okay=False), default=None,
              help="节假日文件（默认取 XINFANG_HOLIDAYS_FILE）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def check(path: str | None, as_json: bool) -> None:
    """检查节假日文件并列出已覆盖的年份；文件有误时指出行号并以非零状态退出。"""
    from bot.holidays import HolidaysError, holiday_table

    settings = load_settings()
    path = path or (str(settings.holidays_file) if settings.holidays_file else None)
    try:
        table = holiday_table(path, settings.extra_holidays, settings.extra_workdays)
    except (HolidaysError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    this_year = date.today().year
    ahead = [y for y in (this_year, this_year + 1) if y not in table.covered_years]
    result = {
        "file": path,
        "package_years": sorted(table.package_years),
        "file_years": sorted(table.file_years),
        "holidays": len(table.holidays),
        "workdays": len(table.workdays),
        "uncovered_ahead": ahead,
        "working_days": settings.working_days,
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    pkg = result["package_years"]
    click.echo(f"日历包覆盖：{pkg[0]}–{pkg[-1]} 年" if pkg else "日历包覆盖：无（未安装 chinese-calendar）")
    if path:
        years = "、".join(str(y) for y in result["file_years"]) or "无"
        click.echo(f"节假日文件：{path}（{result['holidays']} 个休息日，{result['workdays']} 个调休上班日），覆盖 {years} 年")
    else:
        click.echo("节假日文件：未配置（XINFANG_HOLIDAYS_FILE）")
    if ahead:
        missing = "、".join(str(y) for y in ahead)
        click.echo(f"未覆盖：{missing} 年——按工作日计算的期限落在这些年份时按自然日顺延，请在节假日文件中补上。")
    else:
        click.echo("今明两年均已覆盖。")
