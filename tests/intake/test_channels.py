"""One intake for every channel, end to end on the fake platform: a staff 登记 by phone raises the
same group-risk alert as a citizen's chat report, source words and a letter's envelope date, a 排查
registration with 堵路 alerts the supervisor, and 诉访分离 from suggestion to the citizen's notice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from bot.services import campaign as campaign_svc
from bot.services import people
from storage.models import Case
from tests.harness import Service
from tests.staff.office import actions, build_office, file_complaint, get_case

GROUP_PLAN = "我们几十户村民准备明天去县政府集体上访，征地补偿款拖了三年还不给"
ALERT = "【群体性苗头预警】"


async def _alerts(svc: Service, openid: str) -> list[str]:
    await svc.deliver_outbox()
    return [t for t in svc.inbox(openid) if ALERT in t]


async def _case_count(svc: Service) -> int:
    async with svc.rt.sessions() as session:
        return await session.scalar(select(func.count(Case.id)))


async def test_a_phone_call_registered_by_staff_alerts_like_a_citizens_report(service: Service):
    office = await build_office(service)
    number = await file_complaint(office, text=GROUP_PLAN)
    citizen_alerts = await _alerts(service, office.openid("supervisor"))
    assert len(citizen_alerts) == 1 and number in citizen_alerts[0]

    reply = await office.say("staff", f"登记 来电 张大爷来电：{GROUP_PLAN}，电话13812345678")
    assert "已登记" in reply and "来电" in reply and "已预警督查室" in reply, reply
    staff_number = reply.split("已登记 ", 1)[1].split("（", 1)[0]
    staff_alerts = [t for t in await _alerts(service, office.openid("supervisor")) if staff_number in t]
    assert len(staff_alerts) == 1
    # The same alert for the same words: the channel makes no difference.
    words = [a.split("含紧急关键词：", 1)[1].split("。", 1)[0] for a in (citizen_alerts[0], staff_alerts[0])]
    assert words[0] == words[1] and "集体上访" in words[0] and "几十户" in words[0], words
    case = await get_case(service, staff_number)
    assert case.source == "phone" and case.group_risk and case.phone == "13812345678"


async def test_source_words_and_a_letters_envelope_date(service: Service):
    office = await build_office(service)
    before = await _case_count(service)
    reply = await office.say("staff", "登记 来函 小区楼道堆满杂物没人清理")
    assert "来函" in reply and "来访、来信、来电" in reply and "未登记" in reply, reply
    reply = await office.say("staff", "登记 来信 2026-02-30 小区楼道堆满杂物没人清理")
    assert "收信日期" in reply and "无效" in reply, reply
    reply = await office.say("staff", "登记 来信 2026-12-01 小区楼道堆满杂物没人清理")
    assert "晚于今天" in reply, reply
    assert await _case_count(service) == before, "nothing is filed on bad input"

    # The clock says 2026-11-24; the letter was posted on the 20th: 15 days from the 20th.
    reply = await office.say("staff", "登记 来信 11月20日 李某来信反映小区物业乱收停车费")
    assert "收信日期：2026年11月20日" in reply and "2026年12月05日" in reply, reply
    number = reply.split("已登记 ", 1)[1].split("（", 1)[0]
    case = await get_case(service, number)
    assert case.source == "letter"
    reply = await office.say("staff", "登记 来访 王某来访反映小区物业乱收停车费")
    assert "（来访）" in reply and "2026年12月09日" in reply, reply
    # Without content the flow asks, naming the channel, and files what comes next.
    assert "来电群众" in await office.say("staff", "登记 来电")
    reply = await office.say("staff", "来电反映小区物业乱收停车费")
    assert "（来电）" in reply, reply


async def test_a_survey_registration_with_road_blocking_alerts_the_supervisor(service: Service):
    rt = service.rt
    codes = {}
    async with rt.sessions() as session, session.begin():
        for key, role, dept in (("lead", "leader", "人力资源和社会保障局"), ("staff", "staff", "人力资源和社会保障局"),
                                ("inspector", "supervisor", "督查室")):
            _, codes[key] = await people.create_person(session, rt, name=f"{key}-name", role=role, department=dept)
        await campaign_svc.create_campaign(
            session, rt, name="冬季大下访", departments=[("人力资源和社会保障局", "lead-name")],
            phases={"动员排查": (date(2026, 11, 24), date(2026, 11, 30)),
                    "集中下访": (date(2026, 12, 1), date(2026, 12, 10)),
                    "集中化解": (date(2026, 12, 11), date(2026, 12, 20)),
                    "检查总结": (date(2026, 12, 21), date(2026, 12, 31))})
    for key, code in codes.items():
        assert "绑定成功" in await service.say(f"o-{key}", f"绑定 {code}")
    assert "请描述" in await service.say("o-staff", "排查")
    await service.say("o-staff", "开发区工地拖欠三十多名农民工工资，工人说再不发就去堵路")
    await service.say("o-staff", "开发区工地")
    await service.say("o-staff", "30")
    await service.say("o-staff", "一般")  # not 重大: only the alarm words can raise this alert
    reply = await service.say("o-staff", "1")
    assert "已登记排查问题" in reply, reply
    alerts = await _alerts(service, "o-inspector")
    assert len(alerts) == 1 and "堵路" in alerts[0], alerts
    assert any("堵路" in t for t in service.inbox("o-lead") if ALERT in t)


async def test_separation_from_suggestion_to_the_citizens_notice(service: Service):
    office = await build_office(service)
    text = "法院判决不公，我不服，判决书上个星期才送到，要求政府帮我主持公道"
    number = await file_complaint(office, text=text)
    # The claim routes to the court's side (公安司法); the supervision office acts on any case.
    detail = await office.say("supervisor", f"详情 {number}")
    assert "诉访分离建议：诉讼（人民法院）" in detail and f"不予受理 {number} 诉访分离 诉讼" in detail, detail

    reply = await office.say("supervisor", f"不予受理 {number} 诉访分离 调解")
    assert "无法识别" in reply and "诉讼（人民法院）" in reply and "仲裁" in reply and "复议" in reply, reply
    reply = await office.say("supervisor", f"不予受理 {number} 诉访分离")
    assert "请写明" in reply, reply
    assert (await get_case(service, number)).status == "registered"

    reply = await office.say("supervisor", f"不予受理 {number} 诉访分离 法院")
    assert "已按诉访分离不予受理" in reply and "人民法院" in reply, reply
    await service.deliver_outbox()
    notice = [t for t in service.inbox(office.openid("citizen")) if "诉讼途径" in t]
    assert len(notice) == 1, service.inbox(office.openid("citizen"))
    assert "人民法院" in notice[0] and "十五日内上诉" in notice[0] and "六个月内申请再审" in notice[0]
    case = await get_case(service, number)
    assert case.status == "declined" and case.decline_reason.startswith("诉访分离")


async def test_the_triage_desk_sees_why(service: Service):
    office = await build_office(service)
    number = await file_complaint(office, text="我的事情拖了好几年了，到底有没有人管？")
    detail = await office.say("supervisor", f"详情 {number}")
    assert "信访局" in detail and "分流原因：未提到具体问题" in detail, detail


async def test_a_second_call_from_the_same_phone_is_linked_as_a_repeat(service: Service):
    office = await build_office(service)
    numbers = []
    for text in ("小区物业乱收停车费，投诉多次没人管，电话13900001111",
                 "再次来电：小区物业乱收停车费，投诉多次没人管，电话13900001111",
                 "再次来电：小区物业乱收停车费，投诉多次没人管，电话13700002222"):
        reply = await office.say("staff", f"登记 来电 {text}")
        numbers.append(reply.split("已登记 ", 1)[1].split("（", 1)[0])
    assert "repeat_link" not in await actions(service, numbers[0])
    assert "repeat_link" in await actions(service, numbers[1])
    assert "repeat_link" not in await actions(service, numbers[2]), "another caller is another person"
