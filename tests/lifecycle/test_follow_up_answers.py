"""Item 5 (回头看 answers, §5): the 回头看 question is answered in one tap — one citizen answers 1
(resolved), another 2 with a note (the case reopens; owner and leader in charge are told) — and
统计 and the monthly report show asked, answered, resolved, rebounded and 反弹率."""

from __future__ import annotations

from datetime import timedelta

from bot.jobs import alerts
from bot.services import monthly_report as report
from bot.services import statistics
from tests.harness import Service
from tests.staff.office import actions, build_office, file_complaint, get_case, outbox_for


async def _resolved_and_rated(office, who: str, text: str | None = None) -> str:  # type: ignore[no-untyped-def]
    number = await file_complaint(office, who, text) if text else await file_complaint(office, who)
    await office.say("staff", f"受理 {number}")
    assert "已办结" in await office.say("staff", f"办结 {number} 已协调物业公司整改")
    assert "已结案" in await office.say(who, "2")  # 基本满意: due for 回头看
    return number


async def test_follow_up_answered_resolved_and_rebound(service: Service) -> None:
    svc = service
    svc.rt.settings.template_ids["default"] = "TPL-NOTICE"  # 30 days on, the 48-hour window is closed
    office = await build_office(svc)
    first = await _resolved_and_rated(office, "citizen")
    second = await _resolved_and_rated(office, "citizen2", "小区物业乱收费，物业公司强制收取电梯维修费，多次投诉没人管")
    assert "已包案" not in await office.say("leader", f"包案 {second}")  # closed: no 包案 any more

    svc.clock.advance(timedelta(days=30, hours=1, minutes=5))  # the 10:00 moment 30 days on
    assert await alerts.follow_up_reviews(svc.rt) == 4  # each citizen and each owner
    await svc.deliver_outbox()
    asked = [m for m in svc.inbox(office.openid("citizen")) if "【回头看】" in m]
    assert asked and "“1 已解决”" in asked[0] and "“2 仍有问题 说明”" in asked[0]

    assert "已解决" in await office.say("citizen", "1 已解决")
    assert (await get_case(svc, first)).follow_up_answer == "resolved"
    assert (await get_case(svc, first)).status == "closed"

    reply = await office.say("citizen2", "2 仍有问题 电梯维修费仍按原标准收取！")
    assert "重新交办" in reply, reply
    case = await get_case(svc, second)
    assert case.status == "in_progress" and case.follow_up_answer == "rebound"
    assert "follow_up_answer" in await actions(svc, second) and "reopen" in await actions(svc, second)
    owner_notes = [m.text for m in await outbox_for(svc, office.openid("staff")) if m.kind == "follow_up_rebound"]
    assert len(owner_notes) == 1 and "电梯维修费仍按原标准收取！" in owner_notes[0]
    # Answered already: a second "1" is a rating attempt, not a new answer.
    assert "回头看" not in await office.say("citizen", "1")

    stats_text = await office.say("leader", "统计 本月")
    assert "回头看 2 件：回复 2，已解决 1，反弹 1，反弹率 50.0%" in stats_text, stats_text
    async with svc.rt.sessions() as session:
        period = statistics.parse_period("本月", svc.rt)
        assert period is not None
        stats = await statistics.collect(session, svc.rt, period)
    rows = dict((r[0], r[1]) for r in report.overview_rows(stats))
    assert rows["回头看（件）"] == 2 and rows["回头看反弹（件）"] == 1 and rows["反弹率"] == "50.0%"
    assert "反弹率" in report.render_markdown(stats)
