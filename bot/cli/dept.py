"""``xinfang dept add|list``: departments (承办单位), the triage desk and the supervision office."""

from __future__ import annotations

import json

import click

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime
from bot.services import people as people_service
from storage.repositories.departments import all_departments


@click.group()
def dept() -> None:
    """承办单位（部门）。"""


@dept.command("add")
@click.argument("name")
@click.option("--triage", is_flag=True, help="分流窗口（信访局）：接收未能自动分类的事项；其人员可见检举控告类信访人身份")
@click.option("--supervision", is_flag=True, help="督查室：接收升级和退单裁定")
def add(name: str, triage: bool, supervision: bool) -> None:
    """新增部门（已存在则只更新标记）。"""

    async def body(rt: Runtime) -> int:
        async with rt.sessions() as session, session.begin():
            department = await people_service.add_department(session, name, triage=triage, supervision=supervision)
            return department.id

    dept_id = run_with_runtime(body)
    click.echo(f"部门 #{dept_id} {name}")


@dept.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_departments(as_json: bool) -> None:
    """列出部门。"""

    async def body(rt: Runtime) -> list[dict[str, object]]:
        async with rt.sessions() as session:
            return [{"id": d.id, "name": d.name, "triage": d.is_triage, "supervision": d.is_supervision}
                    for d in await all_departments(session)]

    rows = run_with_runtime(body)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        marks = ("（分流）" if row["triage"] else "") + ("（督查室）" if row["supervision"] else "")
        click.echo(f"#{row['id']}\t{row['name']}{marks}")
