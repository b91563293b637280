"""Item 6 (leaders' reach): a county leader's 详情, 包案 and 现场办结 on a case booked on his reception
list; a department leader reaches a case booked on his own list; a leader without reach is refused
and nothing changes. Also the 接访名单 names the leader, and titles are not doubled."""

from __future__ import annotations

from bot.services import people
from bot.services import reception as reception_service
from tests.harness import Service
from tests.staff.office import actions, build_office, file_complaint, get_case, snapshot

SCHOOL_MATTER = "孩子所在学校乱收补课费，每学期额外收取八百元，家长意见很大"


async def _bind(svc: Service, office, key: str, *, name: str, dept: str, title: str,  # type: ignore[no-untyped-def]
                scope: str | None = None) -> None:
    async with svc.rt.sessions() as session, session.begin():
        _, code = await people.create_person(session, svc.rt, name=name, role="leader", department=dept,
                                             title=title, scope=scope)
    office.openids[key] = f"o-{key}"
    assert "绑定成功" in await office.say(key, f"绑定 {code}")


async def _book(office, who: str, session_index: int) -> None:  # type: ignore[no-untyped-def]
    await office.say(who, "接访安排")
    asked = await office.say(who, f"预约 {session_index}")
    assert "1. XF" in asked, asked
    assert "几人" in await office.say(who, "1")
    assert "预约成功" in await office.say(who, "1")


async def test_county_leader_takes_charge_and_closes_on_the_spot(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    await _bind(svc, office, "secretary", name="王建国", dept="县委", title="县委书记")
    await _bind(svc, office, "edu-chief", name="周敏", dept="教育局", title="局长")
    await _bind(svc, office, "health-chief", name="吴刚", dept="卫生健康局", title="局长")
    async with svc.rt.sessions() as session, session.begin():
        await reception_service.define_session(session, svc.rt, leader="王建国", weekday="周二", start="09:00",
                                               end="11:30", place="县信访接待室", slots=10)
        await reception_service.define_session(session, svc.rt, leader="周敏", weekday="周三", start="09:00",
                                               end="11:30", place="教育局会议室", slots=10)
    number = await file_complaint(office)
    await _book(office, "citizen", 2)  # the list is by date: 1 is Wednesday (教育局), 2 next Tuesday
    school = await file_complaint(office, "citizen2", SCHOOL_MATTER)
    await _book(office, "citizen2", 1)

    listing = await office.say("secretary", "接访名单 12月1日")
    assert "接访领导：县委书记王建国" in listing and number in listing

    # Bad input: a leader without reach is told the case is not his, and nothing changes.
    before = await snapshot(svc)
    assert "未找到该事项" in await office.say("health-chief", f"现场办结 {number} 已解决")
    assert "未找到该事项" in await office.say("health-chief", f"详情 {number}")
    assert await snapshot(svc) == before

    # A department leader reaches a case booked on his own reception list (another department's).
    assert SCHOOL_MATTER in await office.say("edu-chief", f"详情 {school}")
    assert "未找到该事项" in await office.say("edu-chief", f"详情 {number}")

    assert "物业" in await office.say("secretary", f"详情 {number}")
    assert "已包案" in await office.say("secretary", f"包案 {number}")
    reply = await office.say("secretary", f"现场办结 {number} 现场协调物业公司，当场退还停车管理费。")
    assert "已现场办结" in reply, reply
    case = await get_case(svc, number)
    assert case.status == "resolved" and case.result == "现场协调物业公司，当场退还停车管理费。"
    assert case.leader_confirmed_at is not None and case.owner_id is not None
    log = await actions(svc, number)
    assert log[-1] == "resolve" and "take_charge" in log and "accept" in log
    await svc.deliver_outbox()
    assert any("处理意见：现场协调物业公司" in m for m in svc.inbox(office.openid("citizen")))
    assert any("县委书记王建国" in m and "县委县委" not in m for m in svc.inbox(office.openid("staff")))

    # Staff cannot use the leader's command.
    assert "无权" in await office.say("staff", f"现场办结 {school} 已解决")


async def test_scope_all_leader_reaches_any_case(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    await _bind(svc, office, "deputy", name="钱进", dept="发展和改革局", title="副县长", scope="all")
    number = await file_complaint(office)
    assert "物业" in await office.say("deputy", f"详情 {number}")
    assert "督办" in await office.say("deputy", f"督办 {number} 3 请尽快答复群众")
