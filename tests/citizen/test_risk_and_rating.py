"""Repeat petitions, group-risk alerts, ratings, and the subscribe/menu events."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.menu import menu
from bot.menu import KEY_HELP, KEY_QUERY, KEY_RECEPTION, KEY_REPORT
from bot.services import rating, rating_request
from bot.services.cases import Actor, record
from storage.models import Case, CaseEvent, Follower, Person
from tests.citizen.helpers import add_person, cases_of, outbox, report
from tests.harness import Service

NUMBER = re.compile(r"XF\d{8}-\d{4}")
BLOCKED = "幸福小区门口的主干道修路封了两个月，施工围挡一直不拆，居民出行非常困难"


async def test_similar_report_from_same_citizen_is_linked_and_flagged_not_merged(service: Service) -> None:
    first = await report(service, "o-rep", "单位拖欠工资三个月了，老板一直不露面，工人们很着急")
    second = await report(service, "o-rep", "单位拖欠工资三个月了，老板还是不露面，工人们很着急")
    n1, n2 = NUMBER.search(first).group(0), NUMBER.search(second).group(0)  # type: ignore[union-attr]
    assert n1 != n2 and n1 in second
    c1, c2 = await cases_of(service, "o-rep")
    assert c2.repeat_of_id == c1.id and c1.repeat_of_id is None
    # A different matter from the same citizen is not linked.
    await report(service, "o-rep", "我家楼下饭店油烟太大，每天晚上熏得没法开窗")
    assert (await cases_of(service, "o-rep"))[2].repeat_of_id is None


async def test_three_citizens_same_issue_within_a_day_alert_supervisor_and_department_leader(service: Service) -> None:
    await report(service, "o-g1", BLOCKED, place="幸福小区南门")
    [case] = await cases_of(service)
    async with service.rt.sessions() as session:
        from storage.models import Department

        dept = await session.get(Department, case.department_id)
    await add_person(service, name="督查", role="supervisor", openid="o-sup-1", department="督查室")
    await add_person(service, name="王局长", role="leader", openid="o-leader-1", department=dept.name)
    await add_person(service, name="他局长", role="leader", openid="o-leader-other", department="别的局")

    await report(service, "o-g2", "幸福小区门口主干道修路封了两个月了，围挡一直不拆，出行非常困难", place="幸福小区南门")
    assert await outbox(service, "group_alert") == []
    await report(service, "o-g3", "幸福小区门口的主干道修路封路两个多月，施工围挡不拆，居民出行太困难", place="幸福小区南门")
    alerts = await outbox(service, "group_alert")
    assert {a.openid for a in alerts} == {"o-sup-1", "o-leader-1"}
    assert all("3名群众" in a.text for a in alerts)
    assert all(c.group_risk for c in await cases_of(service))

    # A fourth reporter joins the cluster without a second alarm.
    await report(service, "o-g4", BLOCKED, place="幸福小区南门")
    assert len(await outbox(service, "group_alert")) == 2


async def test_same_issue_at_different_places_is_no_group_risk(service: Service) -> None:
    await add_person(service, name="督查", role="supervisor", openid="o-sup-2")
    for i, place in enumerate(["幸福小区南门", "光明村村委会", "长江路88号"]):
        await report(service, f"o-p{i}", BLOCKED, place=place)
    assert await outbox(service, "group_alert") == []


async def test_reports_a_day_apart_are_no_group_risk(service: Service) -> None:
    await add_person(service, name="督查", role="supervisor", openid="o-sup-3")
    for i in range(3):
        await report(service, f"o-d{i}", BLOCKED)
        service.clock.advance(timedelta(hours=13))
    assert await outbox(service, "group_alert") == []


async def test_urgency_keyword_alerts_at_once(service: Service) -> None:
    await add_person(service, name="督查", role="supervisor", openid="o-sup-4")
    await report(service, "o-urgent", "开发商拖欠我们拆迁款三年，明天我们几十户要集体上访，去堵路")
    [case] = await cases_of(service)
    assert case.urgent_flags and case.group_risk
    [alert] = await outbox(service, "group_alert")
    assert alert.openid == "o-sup-4" and case.number in alert.text


async def _resolved_case(service: Service, openid: str) -> tuple[int, int]:
    await report(service, openid, "单位拖欠工资三个月了，老板一直不露面")
    [case] = await cases_of(service, openid)
    owner_id = await add_person(service, name="赵六", role="staff", openid=f"{openid}-owner", department="人社局")
    async with service.rt.sessions() as session, session.begin():
        case = await session.get(Case, case.id)
        owner = await session.get(Person, owner_id)
        case.owner_id = owner_id
        await record(session, service.rt, case, action="accept", actor=Actor.of(owner), transition=True)
        case.result = "已责令企业补发工资"
        case.resolved_at = service.rt.now()
        await record(session, service.rt, case, action="resolve", actor=Actor.of(owner), transition=True,
                     text=case.result)
        assert await rating_request.request_rating(session, service.rt, case)
        assert not await rating_request.request_rating(session, service.rt, case)  # once per resolution
    return case.id, owner_id


async def test_rating_three_reopens_the_case_and_notifies_the_owner(service: Service) -> None:
    case_id, _ = await _resolved_case(service, "o-rate3")
    [request] = await outbox(service, "rating_request")
    assert request.openid == "o-rate3" and "1 满意" in request.text and "3 不满意" in request.text

    reply = await service.say("o-rate3", "3")
    assert "重新交办" in reply and "原因" in reply
    async with service.rt.sessions() as session:
        case = await session.get(Case, case_id)
    assert case.status == "in_progress" and case.satisfaction == 3 and case.reopened_count == 1
    [notice] = await outbox(service, "reopen_notice")
    assert notice.openid == "o-rate3-owner" and "不满意" in notice.text

    reason = await service.say("o-rate3", "工资只补发了一半")
    assert "已记录" in reason
    [why] = await outbox(service, "unsatisfied")
    assert why.openid == "o-rate3-owner" and "一半" in why.text
    async with service.rt.sessions() as session:
        actions = list(await session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id)
                                             .order_by(CaseEvent.id)))
    assert actions[-3:] == ["rate", "reopen", "rate_reason"]


async def test_rating_one_closes_the_case(service: Service) -> None:
    case_id, _ = await _resolved_case(service, "o-rate1")
    assert "满意" in await service.say("o-rate1", "1")
    async with service.rt.sessions() as session:
        case = await session.get(Case, case_id)
    assert case.status == "closed" and case.satisfaction == 1 and case.closed_at is not None
    # A second rating is refused politely.
    assert "尚未办结或已评价" in await service.say("o-rate1", f"评价 {case.number} 2")


async def test_rate_refuses_another_citizens_case(service: Service) -> None:
    case_id, _ = await _resolved_case(service, "o-rate-x")
    async with service.rt.sessions() as session, session.begin():
        case = await session.get(Case, case_id)
        outcome = await rating.rate(session, service.rt, case, 3, "不满意", "o-intruder")
    assert not outcome.ok and outcome.error == "not_yours"


async def test_subscribe_gets_welcome_and_unsubscribe_is_recorded(service: Service) -> None:
    user = service.user("o-new")
    welcome = await user.subscribe()
    assert "欢迎" in (welcome.reply_text or "")
    gone = await user.unsubscribe()
    assert not gone.reply_text
    async with service.rt.sessions() as session:
        follower = await session.get(Follower, "o-new")
    assert follower is not None and follower.subscribed is False and follower.unsubscribed_at is not None


async def test_menu_clicks_answer_with_next_step(service: Service) -> None:
    user = service.user("o-menu")
    assert "描述" in ((await user.click(KEY_REPORT)).reply_text or "")
    assert "还没有反映" in ((await user.click(KEY_QUERY)).reply_text or "")
    assert "查询" in ((await user.click(KEY_HELP)).reply_text or "")
    assert (await user.click(KEY_RECEPTION)).reply_text


def test_menu_command_prints_json_with_all_click_keys() -> None:
    result = CliRunner().invoke(menu, [])
    assert result.exit_code == 0
    data = json.loads(result.output)
    keys = {b.get("key") for b in data["button"]} | {s["key"] for b in data["button"] for s in b.get("sub_button", [])}
    assert {KEY_REPORT, KEY_QUERY, KEY_RECEPTION, KEY_HELP} <= keys
