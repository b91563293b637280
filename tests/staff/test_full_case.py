"""A whole case through the fake platform: report, 待办, 受理, 回复, 转办, 延期, 包案 办结 with
确认办结, rating 3 and reopening — each step's event in the log, each notice on the phone."""

from __future__ import annotations

from tests.harness import Service
from tests.staff.office import OTHER_DEPT, actions, build_office, file_complaint, get_case, outbox_for


async def test_full_case_from_report_to_reopen_after_unsatisfied_rating(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    number = await file_complaint(office)

    todo = await office.say("staff", "待办")
    assert number in todo and todo.splitlines()[1].startswith("1. ")

    reply = await office.say("staff", "受理 1")
    assert "已受理" in reply and number in reply
    case = await get_case(svc, number)
    assert case.status == "accepted" and case.owner_id is not None

    reply = await office.say("staff", f"回复 {number} 已联系物业公司核实收费依据")
    assert "已回复" in reply
    await svc.deliver_outbox()
    inbox = svc.inbox(office.openid("citizen"))
    assert any("已受理" in m for m in inbox)
    assert any("已联系物业公司核实收费依据" in m for m in inbox)

    assert "已包案" in await office.say("leader", f"包案 {number}")

    reply = await office.say("staff", f"转办 {number} {OTHER_DEPT} 涉及停车收费审批")
    assert "已将" in reply and OTHER_DEPT in reply
    case = await get_case(svc, number)
    assert case.department.name == OTHER_DEPT and case.transfer_count == 1
    owner_id = case.owner_id

    # The receiving department now sees it; the first department's other staff no longer do.
    assert number in await office.say("other", "待办")
    assert number not in await office.say("staff2", "待办")

    reply = await office.say("other", "延期 1 15 需调取三年收费台账")
    assert "已延期" in reply
    assert "已延期过一次" in await office.say("other", "延期 1 5 再延")

    refused = await office.say("other", "办结 1 已责令物业公司退还停车管理费")
    assert "确认办结" in refused
    assert (await get_case(svc, number)).status == "in_progress"

    assert "已确认" in await office.say("leader", f"确认办结 {number}")
    assert "已办结" in await office.say("other", "办结 1 已责令物业公司退还停车管理费")
    await svc.deliver_outbox()
    inbox = svc.inbox(office.openid("citizen"))
    assert any("办理期限延长15天" in m for m in inbox)
    assert any("已责令物业公司退还停车管理费" in m for m in inbox)

    await office.say("citizen", "3")
    case = await get_case(svc, number)
    assert case.status == "in_progress" and case.satisfaction == 3 and case.reopened_count >= 1
    assert case.owner_id == owner_id
    await svc.deliver_outbox()
    owner_messages = await outbox_for(svc, office.openid("staff"))
    assert any(number in m.text and "不满意" in m.text for m in owner_messages)
    assert any(number in m and "不满意" in m for m in svc.inbox(office.openid("staff")))

    log = await actions(svc, number)
    for step in ("register", "accept", "reply", "take_charge", "transfer", "extend", "resolve_requested",
                 "confirm_resolve", "resolve", "rate", "reopen"):
        assert step in log, (step, log)
    assert log.index("accept") < log.index("transfer") < log.index("extend") < log.index("resolve")
