"""Item 9 (small joints seen in chat): overdue shown as overdue in 查询; the supervisor's ruling on a
disputed transfer reaches both departments and the owner; 详情 in Chinese; 首问 wording only to the
owner; an address of "1" is asked again."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import Service
from tests.staff.office import CASE_NUMBER, OTHER_DEPT, build_office, file_complaint, outbox_for


async def test_overdue_in_query_and_address_asked_again(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    assert "地点" in await office.say("citizen", "我们小区物业乱收费，物业公司强制收取停车管理费，投诉多次没人管")
    assert "没能识别地址" in await office.say("citizen", "1")
    assert "电话" in await office.say("citizen", "城关镇幸福小区3号楼")
    await office.say("citizen", "跳过")
    filed = await office.say("citizen", "确认")
    assert "已登记" in filed
    assert "已超期" not in await office.say("citizen", "查询")
    svc.clock.advance(timedelta(days=16))
    listing = await office.say("citizen", "查询")
    assert "已超期" in listing, listing
    number = filed.split("编号 ")[1].split("，")[0]
    assert "已超期" in await office.say("citizen", f"查询 {number}")


async def test_ruling_on_disputed_transfer_and_chinese_detail(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    number = await file_complaint(office)
    await office.say("staff", f"受理 {number}")
    assert "已将" in await office.say("staff", f"转办 {number} {OTHER_DEPT} 不属本单位职责")
    assert "已将" in await office.say("other", f"转办 {number} {office.dept} 应由物业科办理")
    assert "督查室裁定" in await office.say("staff2", f"转办 {number} {OTHER_DEPT} 仍不属本单位")
    reply = await office.say("supervisor", f"转办 {number} {office.dept} 物业收费监管属住建部门职责")
    assert "仍由" in reply and office.dept in reply, reply
    for who in ("other", "staff", "staff2"):  # the other department, the owner, this department
        texts = [m.text for m in await outbox_for(svc, office.openid(who))]
        assert any("【退单裁定】" in t and "仍由" in t for t in texts), who

    repeat = await file_complaint(office)  # the same matter again: linked as 重信重访
    detail = await office.say("supervisor", f"详情 {repeat}")
    assert "来源：微信公众号" in detail and "关联重信重访" in detail
    assert "repeat_link" not in detail and "wechat" not in detail
    log = await office.say("supervisor", f"详情 {number}")
    assert "督查室裁定" in log and "transfer" not in log


async def test_first_owner_wording(service: Service) -> None:
    office = await build_office(service)
    registered = await office.say("staff", "登记 我们小区物业乱收费，物业公司强制收取停车管理费，投诉多次没人管")
    number = CASE_NUMBER.search(registered).group(0)  # type: ignore[union-attr]
    reply = await office.say("staff2", f"受理 {number}")
    assert "首问责任人：" in reply and "staff-name" in reply and "您为首问责任人" not in reply, reply
