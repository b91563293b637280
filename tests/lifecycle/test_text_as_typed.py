"""Item 1 (text as typed): full-width punctuation, line breaks and repeated marks survive from a
citizen's message to staff ``详情``, and from a staff ``回复`` to the citizen's phone."""

from __future__ import annotations

from tests.harness import Service
from tests.staff.office import build_office, get_case

CITIZEN_TEXT = "我们小区物业乱收费，物业公司强制收取停车管理费！！\n投诉多次没人管？？　请帮忙。"
STAFF_REPLY = "您好，我们已联系物业公司，\n要求其三日内说明收费依据！"


async def test_citizen_and_staff_text_kept_exactly_as_typed(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    reply = await office.say("citizen", CITIZEN_TEXT)
    assert "地点" in reply
    await office.say("citizen", "跳过")
    await office.say("citizen", "跳过")
    filed = await office.say("citizen", "确认")
    number = filed.split("编号 ")[1].split("，")[0]
    case = await get_case(svc, number)
    assert case.content == CITIZEN_TEXT

    detail = await office.say("staff", f"详情 {number}")
    assert CITIZEN_TEXT in detail

    await office.say("staff", f"受理 {number}")
    assert "已回复" in await office.say("staff", f"回复 {number} {STAFF_REPLY}")
    await svc.deliver_outbox()
    assert any(STAFF_REPLY in m for m in svc.inbox(office.openid("citizen")))
    result = "已责令物业公司退还停车管理费，\n并公示收费标准。"
    assert "已办结" in await office.say("staff", f"办结 {number} {result}")
    assert (await get_case(svc, number)).result == result
