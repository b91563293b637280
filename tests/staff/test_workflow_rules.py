"""Workflow rules through the chat: 退单 ping-pong, 首问 after transfers, decline notice, 分类 data,
督办 deadlines, reopen by the supervisor, and the people/dept CLI."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from storage.models import CaseEvent, Department
from tests.harness import Service
from tests.staff.office import OTHER_DEPT, build_office, file_complaint, get_case, outbox_for


async def _add_dept(svc: Service, name: str) -> None:
    async with svc.rt.sessions() as session, session.begin():
        session.add(Department(name=name))


async def test_third_transfer_back_goes_to_the_supervisor_and_owner_keeps_updates(service: Service) -> None:
    office = await build_office(service)
    number = await file_complaint(office)
    await office.say("staff", f"受理 {number}")
    assert "已将" in await office.say("staff", f"转办 {number} {OTHER_DEPT} 不属本单位职责")
    assert "已将" in await office.say("other", f"转办 {number} {office.dept} 应由物业科办理")
    reply = await office.say("staff2", f"转办 {number} {OTHER_DEPT} 仍不属本单位")
    assert "督查室裁定" in reply
    case = await get_case(service, number)
    assert case.department.name == office.dept and case.transfer_count == 2
    escalations = [m for m in await outbox_for(service, office.openid("supervisor")) if m.kind == "escalation"]
    assert len(escalations) == 1 and number in escalations[0].text
    # The supervisor decides.
    assert "已将" in await office.say("supervisor", f"转办 {number} {OTHER_DEPT} 督查室裁定由住建局办理")
    case = await get_case(service, number)
    assert case.department.name == OTHER_DEPT
    # 首问: the first accepter still hears about the case in another department.
    assert "已回复" in await office.say("other", f"回复 {number} 已安排现场核查")
    owner_updates = [m.text for m in await outbox_for(service, office.openid("staff"))]
    assert any("已安排现场核查" in t for t in owner_updates)


async def test_decline_tells_the_citizen_the_reason_and_how_to_ask_for_review(service: Service) -> None:
    office = await build_office(service)
    number = await file_complaint(office)
    assert "理由" in await office.say("staff", f"不予受理 {number}")  # no reason: asked for one
    assert (await get_case(service, number)).status == "registered"
    await office.say("staff", f"不予受理 {number} 已进入诉讼程序，请通过法院解决")
    await service.deliver_outbox()
    notice = [m for m in service.inbox("o-citizen") if "不予受理" in m][0]
    assert "已进入诉讼程序" in notice and f"申请复查 {number}" in notice


async def test_recategorise_keeps_old_and_new_labels_as_training_data(service: Service) -> None:
    office = await build_office(service)
    number = await file_complaint(office)
    case = await get_case(service, number)
    reply = await office.say("staff", f"分类 {number} 停车")
    assert "停车" in reply
    async with service.rt.sessions() as session:
        event = await session.scalar(select(CaseEvent).where(CaseEvent.action == "recategorise"))
    assert event.data["old"]["category"] == case.category
    assert event.data["new"]["category"] == "停车" and event.data["new"]["group"]
    assert event.data["content"] == case.content
    assert "没有该类别" in await office.say("staff", f"分类 {number} 不存在的类别")


async def test_supervise_with_days_sets_a_new_deadline_and_notifies_the_department(service: Service) -> None:
    office = await build_office(service)
    number = await file_complaint(office)
    await office.say("staff", f"受理 {number}")
    before = (await get_case(service, number)).resolve_due_at
    assert "督办" in await office.say("supervisor", f"督办 {number} 5 群众多次反映，请加快办理")
    after = (await get_case(service, number)).resolve_due_at
    assert after < before
    notices = [m for m in await outbox_for(service, office.openid("staff2")) if m.kind == "supervise_notice"]
    assert notices and "请加快办理" in notices[0].text


async def test_supervisor_reopens_a_resolved_case(service: Service) -> None:
    office = await build_office(service)
    number = await file_complaint(office)
    await office.say("staff", f"受理 {number}")
    await office.say("staff", f"办结 {number} 已处理")
    assert "无权" in await office.say("staff", f"重办 {number} 再查")
    assert "已重新办理" in await office.say("supervisor", f"重办 {number} 回访发现问题未解决")
    case = await get_case(service, number)
    assert case.status == "in_progress" and case.reopened_count == 1


async def test_accept_with_committed_days_and_short_indexes(service: Service) -> None:
    office = await build_office(service)
    number = await file_complaint(office)
    await office.say("staff", "待办")
    assert "天数" in await office.say("staff", "受理 1 90")
    assert "已受理" in await office.say("staff", "受理 1 7")
    case = await get_case(service, number)
    assert case.committed_days == 7
    assert (case.resolve_due_at - case.accepted_at).days <= 7
    assert "未找到" in await office.say("staff", "受理 9")


async def _cli(args: list[str], db_url: str):  # type: ignore[no-untyped-def]
    return await asyncio.to_thread(CliRunner().invoke, main, args, env={"XINFANG_DATABASE_URL": db_url})


async def test_people_and_dept_cli_create_accounts_that_bind_in_chat(service: Service, db_url: str) -> None:
    result = await _cli(["dept", "add", "信访局", "--triage"], db_url)
    assert result.exit_code == 0, result.output
    result = await _cli(["people", "add", "--name", "李四", "--role", "staff", "--dept", "信访局", "--json"],
                        db_url)
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["id"] and created["bind_code"]
    fresh = json.loads((await _cli(["people", "bind-code", str(created["id"]), "--json"], db_url)).output)
    assert "无效" in await service.say("o-li", f"绑定 {created['bind_code']}")
    assert "绑定成功" in await service.say("o-li", f"绑定 {fresh['bind_code']}")
    listed = json.loads((await _cli(["people", "list", "--json"], db_url)).output)
    assert listed[0]["bound"] and listed[0]["department"] == "信访局"
    depts = json.loads((await _cli(["dept", "list", "--json"], db_url)).output)
    assert any(d["name"] == "信访局" and d["triage"] for d in depts)
    bad = await _cli(["people", "add", "--name", "王五", "--role", "staff"], db_url)
    assert bad.exit_code != 0 and "department" in bad.output
