"""``xinfang people add|list|bind-code|login-link|unbind|deactivate``: staff, leaders, supervisors, admins."""

from __future__ import annotations

import json

import click

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime
from bot.services import people as people_service
from storage.models import Person
from storage.models.people import ROLES


@click.group()
def people() -> None:
    """工作人员、领导、督查室和管理员账号。"""


def _row(person: Person) -> dict[str, object]:
    return {"id": person.id, "name": person.name, "role": person.role, "title": person.title,
            "department": person.department.name if person.department else None,
            "bound": person.openid is not None, "active": person.active}


@people.command("add")
@click.option("--name", required=True, help="姓名")
@click.option("--role", required=True, type=click.Choice(ROLES), help="角色")
@click.option("--dept", "department", default=None, help="所属部门（工作人员、领导必填）")
@click.option("--title", default=None, help="职务，如 局长、主任")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（含 id 与 bind_code）")
def add(name: str, role: str, department: str | None, title: str | None, as_json: bool) -> None:
    """新建账号并打印一次性绑定码（24小时内有效，只能使用一次）。"""

    async def body(rt: Runtime) -> tuple[dict[str, object], str]:
        async with rt.sessions() as session, session.begin():
            person, code = await people_service.create_person(
                session, rt, name=name, role=role, department=department, title=title)
            await session.refresh(person, ["department"])
            return _row(person), code

    try:
        row, code = run_with_runtime(body)
    except people_service.PeopleError as exc:
        raise click.UsageError(str(exc)) from exc
    _print_code(row, code, as_json)


def _print_code(row: dict[str, object], code: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({**row, "bind_code": code, "expires_in_hours": 24}, ensure_ascii=False))
        return
    click.echo(f"已创建 #{row['id']} {row['name']}（{row['role']}，{row['department'] or '无部门'}）")
    click.echo(f"绑定码：{code}  （24小时内有效，只能使用一次；在公众号发送“绑定 {code}”）")


@people.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_people(as_json: bool) -> None:
    """列出全部账号。"""

    async def body(rt: Runtime) -> list[dict[str, object]]:
        async with rt.sessions() as session:
            return [_row(p) for p in await people_service.list_people(session)]

    rows = run_with_runtime(body)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("（暂无账号）")
    for row in rows:
        state = "已绑定" if row["bound"] else "未绑定"
        active = "" if row["active"] else " 已停用"
        click.echo(f"#{row['id']}\t{row['name']}\t{row['role']}\t{row['department'] or '-'}\t"
                   f"{row['title'] or '-'}\t{state}{active}")


@people.command("bind-code")
@click.argument("person_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def bind_code(person_id: int, as_json: bool) -> None:
    """为账号生成新的绑定码（旧码作废）。"""

    async def body(rt: Runtime) -> tuple[dict[str, object], str] | None:
        async with rt.sessions() as session, session.begin():
            person = await session.get(Person, person_id)
            if person is None:
                return None
            code = await people_service.issue_bind_code(session, rt, person)
            return _row(person), code

    result = run_with_runtime(body)
    if result is None:
        raise click.UsageError(f"no person #{person_id}")
    _print_code(*result, as_json)


def _one(matches: list[Person], ref: str) -> Person:
    if not matches:
        raise click.UsageError(f"没有账号：{ref}")
    if len(matches) > 1:
        ids = "、".join(f"#{p.id}" for p in matches)
        raise click.UsageError(f"“{ref}”对应多个账号（{ids}），请用编号")
    return matches[0]


@people.command("login-link")
@click.argument("ref", metavar="编号或姓名")
def login_link(ref: str) -> None:
    """打印办公控制台的一次性登录链接（10分钟内有效，只能使用一次），与在公众号发送“登录”相同。"""
    from bot.services import console_auth

    async def body(rt: Runtime) -> str | None:
        async with rt.sessions() as session, session.begin():
            person = _one(await people_service.find_person(session, ref), ref)
            return await console_auth.issue_login_link(session, rt, person)

    url = run_with_runtime(body)
    if url is None:
        raise click.UsageError("该账号未绑定微信或已停用，不能登录控制台")
    click.echo(url)


@people.command("unbind")
@click.argument("ref", metavar="编号或姓名")
def unbind(ref: str) -> None:
    """解除账号与微信号的绑定；其控制台会话随即结束。"""

    async def body(rt: Runtime) -> dict[str, object]:
        async with rt.sessions() as session, session.begin():
            person = _one(await people_service.find_person(session, ref), ref)
            await people_service.unbind(session, rt, person)
            return _row(person)

    row = run_with_runtime(body)
    click.echo(f"已解除绑定：#{row['id']} {row['name']}")


@people.command("deactivate")
@click.argument("ref", metavar="编号或姓名")
def deactivate(ref: str) -> None:
    """停用账号（保留办理记录）；其控制台会话随即结束。"""

    async def body(rt: Runtime) -> dict[str, object]:
        async with rt.sessions() as session, session.begin():
            person = _one(await people_service.find_person(session, ref), ref)
            await people_service.deactivate(session, rt, person)
            return _row(person)

    row = run_with_runtime(body)
    click.echo(f"已停用：#{row['id']} {row['name']}")
