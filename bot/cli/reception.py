"""``xinfang reception add|list|cancel``: reception sessions (接访日) for the operator.

Sessions in the TOML config (``[[reception]]``) are loaded at scheduler start and by ``list``;
these commands add one-off or recurring sessions beside them and cancel a session or one date
(booked citizens are told through the outbox).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import click

from bot.cli.common import run_with_runtime
from bot.runtime import Runtime
from bot.services import reception as svc
from storage.models.reception import RECEPTION_FORMS


@click.group()
def reception() -> None:
    """领导接访日：场次的新增、查看与取消。"""


@reception.command("add")
@click.option("--leader", required=True, help="接访领导（人员编号或姓名，须为 leader 角色）")
@click.option("--weekday", default=None, help="每周固定：周一…周日 / 0-6（0=周一）")
@click.option("--date", "on_date", default=None, help="单次：日期 YYYY-MM-DD")
@click.option("--start", required=True, help="开始时间 HH:MM")
@click.option("--end", required=True, help="结束时间 HH:MM")
@click.option("--place", required=True, help="地点")
@click.option("--form", default="现场接访", show_default=True, type=click.Choice(RECEPTION_FORMS), help="接访形式")
@click.option("--slots", default=10, show_default=True, type=int, help="名额（批次）")
@click.option("--with", "companions", multiple=True, help="陪访的部门负责人（编号或姓名），可重复")
@click.option("--scope", default=None, help="接访范围（受理哪些事项）")
@click.option("--from", "valid_from", default=None, help="每周场次的起始日期")
@click.option("--until", "valid_until", default=None, help="每周场次的截止日期")
def add(leader: str, weekday: str | None, on_date: str | None, start: str, end: str, place: str, form: str,
        slots: int, companions: tuple[str, ...], scope: str | None, valid_from: str | None,
        valid_until: str | None) -> None:
    """新增接访场次（每周固定或单次）。"""

    async def body(rt: Runtime) -> int:
        async with rt.sessions() as session, session.begin():
            s = await svc.define_session(
                session, rt, leader=leader, weekday=weekday, on_date=on_date, start=start, end=end, place=place,
                form=form, slots=slots, companions=list(companions), scope=scope, valid_from=valid_from,
                valid_until=valid_until)
            return s.id

    try:
        session_id = run_with_runtime(body)
    except svc.SessionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"接访场次 #{session_id} 已添加")


@reception.command("list")
@click.option("--days", default=14, show_default=True, type=int, help="列出未来多少天的场次")
@click.option("--json", "as_json", is_flag=True)
def list_sessions(days: int, as_json: bool) -> None:
    """列出场次规则和未来的具体日期（含已约人数）。"""

    async def body(rt: Runtime) -> dict[str, list[dict[str, object]]]:
        async with rt.sessions() as session, session.begin():
            await svc.load_configured_sessions(session, rt)
        async with rt.sessions() as session:
            rules = [_rule(s) for s in await svc.all_sessions(session, include_cancelled=True)]
            today = rt.local_now().date()
            occs = await svc.occurrences_between(session, rt, today, today + timedelta(days=days - 1),
                                                 include_cancelled=True)
            dates = [{"session": o.session.id, "date": o.day.isoformat(), "when": svc.describe_when(o, rt),
                      "leader": svc.leader_title(o.session), "place": o.session.place, "form": o.session.form,
                      "booked": o.booked, "slots": o.session.slots, "cancelled": o.cancelled}
                     for o in occs if o.end > rt.now()]
        return {"sessions": rules, "dates": dates}

    try:
        data = run_with_runtime(body)
    except svc.SessionError as exc:
        raise click.ClickException(f"reception configuration: {exc}") from exc
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo("场次：")
    for rule in data["sessions"]:
        state = "（已取消）" if rule["cancelled"] else ""
        click.echo(f"#{rule['id']}\t{rule['when']}\t{rule['leader']}\t{rule['form']}\t{rule['place']}"
                   f"\t{rule['slots']} 名额{state}")
    click.echo(f"未来 {days} 天：")
    for d in data["dates"]:
        state = "（已取消）" if d["cancelled"] else f"已约 {d['booked']}/{d['slots']}"
        click.echo(f"#{d['session']}\t{d['when']}\t{d['leader']}\t{d['form']}\t{d['place']}\t{state}")


def _rule(s) -> dict[str, object]:  # type: ignore[no-untyped-def]
    when = (f"每周{svc.WEEKDAY_NAMES[s.weekday]}" if s.weekday is not None else s.on_date.isoformat())
    return {"id": s.id, "when": f"{when} {s.start_time:%H:%M}–{s.end_time:%H:%M}", "leader": svc.leader_title(s),
            "leader_id": s.leader_id, "companions": list(s.companion_ids or []), "place": s.place, "form": s.form,
            "slots": s.slots, "scope": s.scope, "cancelled": s.cancelled, "config_key": s.config_key}


@reception.command("cancel")
@click.argument("session_id", type=int)
@click.option("--date", "on_date", default=None, help="只取消这一天（节假日、领导公出）；不填则取消整个场次")
@click.option("--reason", default=None, help="取消原因（会告知已预约的群众）")
def cancel(session_id: int, on_date: str | None, reason: str | None) -> None:
    """取消场次或其中一天；已预约的群众会收到通知。"""

    async def body(rt: Runtime) -> int:
        async with rt.sessions() as session, session.begin():
            return await svc.cancel_session(session, rt, session_id,
                                            day=date.fromisoformat(on_date) if on_date else None, reason=reason)

    try:
        told = run_with_runtime(body)
    except (svc.SessionError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已取消，通知预约群众 {told} 人")
