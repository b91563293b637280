"""Reception days end to end over the fake WeChat platform: citizens see the schedule and book in
chat, the leader asks for the list, and the timed notices arrive on the platform exactly once."""

from __future__ import annotations

from bot.jobs.scheduler import run_due_jobs
from bot.services import reception as svc
from tests.harness import Service
from tests.jobs.world import add_case, end_of, local, seed_office


async def test_citizens_book_in_chat_and_leader_gets_list_and_reminders(service: Service) -> None:
    rt, clock = service.rt, service.clock
    rt.settings.template_ids["default"] = "tpl-notice"  # people outside the 48-hour window get templates
    office = await seed_office(rt)
    case_a = await add_case(rt, office.housing, openid="o-citizen-a", title="小区物业不作为", status="accepted",
                            registered_at=local(2026, 11, 20, 10), resolve_due_at=end_of(2027, 1, 20))
    async with rt.sessions() as session, session.begin():
        await svc.define_session(session, rt, leader="张明", companions=["李强"], weekday="周二", start="09:00",
                                 end="11:30", place="县信访接待室", slots=10, scope="城建、物业")

    schedule = await service.say("o-citizen-a", "接访安排")
    assert "12月1日（周二）09:00–11:30" in schedule and "县委书记" in schedule and "余 10 个名额" in schedule
    asked = await service.say("o-citizen-a", "预约 1")
    assert f"1. {case_a.number}" in asked and "编号" in asked
    # "1" picks the first listed case (it is not taken as a one-character description).
    assert "几人" in await service.say("o-citizen-a", "1")
    booked = await service.say("o-citizen-a", "2")
    assert "预约成功" in booked and case_a.number in booked

    # A second citizen books without listing first, describing the matter in a sentence.
    assert "简要说明" in await service.say("o-citizen-b", "预约 1")
    await service.say("o-citizen-b", "小区停车位被长期占用")
    assert "请回复 1–5" in await service.say("o-citizen-b", "六")  # 五人代表
    assert "预约成功" in await service.say("o-citizen-b", "3人")
    # A third gives up half way.
    await service.say("o-citizen-c", "预约 1")
    assert "放弃" in await service.say("o-citizen-c", "取消")
    assert "余 8 个名额" in await service.say("o-citizen-c", "接访安排")

    listing = await service.say("o-secretary", "接访名单 12月1日")
    assert case_a.number in listing and "小区停车位被长期占用 · 3 人" in listing and "住建局局长李强" in listing
    assert "没有接访安排" in await service.say("o-clerk", "接访名单")  # staff not on the session

    for when in (local(2026, 11, 30, 17), local(2026, 11, 30, 18), local(2026, 11, 30, 20),
                 local(2026, 12, 1, 8), local(2026, 12, 1, 8, 30)):
        clock.set(when)
        await run_due_jobs(rt)
        await run_due_jobs(rt)
        await service.deliver_outbox()

    leader_inbox = service.inbox("o-secretary")
    assert len(leader_inbox) == 2, leader_inbox
    assert "明日接访" in leader_inbox[0] and case_a.number in leader_inbox[0] and "小区停车位被长期占用" in leader_inbox[0]
    assert "今日接访提醒" in leader_inbox[1]
    assert len(service.inbox("o-director")) == 2
    for citizen in ("o-citizen-a", "o-citizen-b"):
        [reminder] = service.inbox(citizen)
        assert "接访提醒" in reminder and "县信访接待室" in reminder
    assert service.inbox("o-citizen-c") == []

    # Before the start a citizen can still cancel; the slot comes back.
    assert "已取消" in await service.say("o-citizen-b", "取消预约")
    assert "没有待参加" in await service.say("o-citizen-b", "取消预约")
