"""Item 2 (review chain, §2): 申请复查 within and after 30 days of the delivered 处理意见, 复核,
then 不再受理 on the same facts; and the bad requests that change nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from storage.models import Case
from tests.harness import Service
from tests.staff.office import COMPLAINT, build_office, file_complaint, get_case, snapshot

OTHER_MATTER = "我们村的路灯坏了三个月没人修，晚上出行很不安全，希望尽快修好"
NUMBER = re.compile(r"XF\d{8}-\d{4}")


async def test_review_recheck_and_not_accepted_again(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    first = await file_complaint(office)
    other = await file_complaint(office, text=OTHER_MATTER)
    never_resolved = await file_complaint(office, "citizen2")
    await office.say("staff", f"受理 {first}")
    assert "已办结" in await office.say("staff", f"办结 {first} 已约谈物业公司，停车管理费按物价部门核定标准收取")
    await office.say("supervisor", f"受理 {other}")
    assert "已办结" in await office.say("supervisor", f"办结 {other} 已安排维修")
    await svc.deliver_outbox()

    # Bad input: another citizen's number, a number never decided — clear answers, nothing changes.
    before = await snapshot(svc)
    assert "没有找到您名下" in await office.say("citizen2", f"申请复查 {first}")
    assert "尚未作出处理意见" in await office.say("citizen2", f"申请复查 {never_resolved}")
    assert "请先发送“申请复查" in await office.say("citizen", f"申请复核 {first}")
    assert await snapshot(svc) == before

    # Within 30 days: a 复查 linked to the case, answered by the supervision department.
    reply = await office.say("citizen", f"申请复查 {first} 停车管理费收费标准仍不清楚，请上级复查！")
    assert "已收到您的复查申请" in reply and "督查室" in reply, reply
    review_number = NUMBER.findall(reply)[0]
    review = await get_case(svc, review_number)
    original = await get_case(svc, first)
    assert review.review_of_id == original.id and review.review_level == 1 and review.status == "accepted"
    assert review.department.name == "督查室"
    assert (review.resolve_due_at - svc.clock.now()) >= timedelta(days=29)
    assert "请上级复查！" in review.content

    # A second 复查 of the same case is refused and changes nothing.
    before = await snapshot(svc)
    assert "已申请过复查" in await office.say("citizen", f"申请复查 {first}")
    assert await snapshot(svc) == before

    # The reviewing body works it with the ordinary commands; the citizen is offered 复核.
    assert review_number in await office.say("supervisor", "待办")
    assert "已办结" in await office.say("supervisor", f"办结 {review_number} 复查意见：维持原处理意见")
    await svc.deliver_outbox()
    assert any("复查意见" in m and f"申请复核 {review_number}" in m for m in svc.inbox(office.openid("citizen")))

    svc.clock.advance(timedelta(days=2))
    reply = await office.say("citizen", f"申请复核 {review_number}")
    assert "已收到您的复核申请" in reply, reply
    recheck_number = [n for n in NUMBER.findall(reply) if n not in (review_number, first)][0]
    recheck = await get_case(svc, recheck_number)
    assert recheck.review_of_id == review.id and recheck.review_level == 2
    assert "已办结" in await office.say("supervisor", f"办结 {recheck_number} 复核意见：维持复查意见")
    await svc.deliver_outbox()
    assert any("复核意见为最终意见" in m for m in svc.inbox(office.openid("citizen")))

    # The same facts again: 不再受理, with the reason and the legal basis; no case is filed.
    async with svc.rt.sessions() as session:
        count = len(list(await session.scalars(select(Case.id))))
    reply = await office.say("citizen", COMPLAINT)
    assert "不再受理" in reply and "第三十五条" in reply, reply
    assert "复核" in await office.say("citizen", f"申请复查 {first}")
    async with svc.rt.sessions() as session:
        assert len(list(await session.scalars(select(Case.id)))) == count

    # After 30 days from delivery: refused with the date the window ran out.
    svc.clock.advance(timedelta(days=31))
    before = await snapshot(svc)
    reply = await office.say("citizen", f"申请复查 {other}")
    assert "期限" in reply and "届满" in reply and "不予受理" in reply, reply
    assert await snapshot(svc) == before
