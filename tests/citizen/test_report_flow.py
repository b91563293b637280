"""A citizen reporting through the fake WeChat platform, over real HTTP, end to end."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services import media, report_drafts
from storage.models import Attachment, Case, Conversation
from tests.citizen.helpers import add_person, cases_of, report
from tests.harness import Service

NUMBER = re.compile(r"XF\d{8}-\d{4}")


async def test_first_message_to_confirmed_case_with_photo_and_location_then_query_shows_it(service: Service) -> None:
    user = service.user("o-alice")
    first = await service.say("o-alice", "我们小区物业不作为，楼道垃圾堆了一个月没人清理，物业费照收")
    assert "地点" in first and "跳过" in first

    photo = await user.image(b"\xff\xd8\xff\xe0fake-jpeg-bytes")
    assert "附件" in (photo.reply_text or "")

    located = await user.location(39.9087, 116.3975, label="北京市东城区幸福小区3号楼")
    assert "幸福小区" in (located.reply_text or "") and "电话" in (located.reply_text or "")

    summary = await service.say("o-alice", "13812345678")
    assert "确认" in summary and "附件：1个" in summary

    filed = await service.say("o-alice", "确认")
    number = NUMBER.search(filed).group(0)  # type: ignore[union-attr]
    assert "已登记" in filed and "查询" in filed

    await media.wait_for_downloads(service.rt)
    [case] = await cases_of(service, "o-alice")
    assert case.number == number and case.status == "registered"
    assert case.latitude == pytest.approx(39.9087) and case.location_text == "北京市东城区幸福小区3号楼"
    assert case.phone == "13812345678" and case.ack_due_at is not None
    async with service.rt.sessions() as session:
        [att] = list(await session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
        conv = await session.get(Conversation, "o-alice")
    assert att.kind == "image" and att.download_error is None
    content = await media.open_attachment(service.rt, att)
    assert content.data == b"\xff\xd8\xff\xe0fake-jpeg-bytes" and content.content_type == "image/jpeg"
    assert not Path(att.stored_path).is_absolute()  # type: ignore[arg-type]
    assert conv is not None and conv.state == "idle"

    listing = await service.say("o-alice", "查询")
    assert number in listing and "已登记" in listing
    detail = await service.say("o-alice", f"查询 {number.lower()}")
    assert number in detail and "登记" in detail and "受理告知期限" in detail


async def test_cancel_midway_leaves_no_case(service: Service) -> None:
    await service.say("o-bob", "村里的路灯坏了半年，晚上出行很不安全")
    await service.user("o-bob").image()
    reply = await service.say("o-bob", "取消")
    assert "已取消" in reply
    assert await cases_of(service) == []
    async with service.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 0
        conv = await session.get(Conversation, "o-bob")
    assert conv is not None and conv.state == "idle"
    # 取消 with nothing going on is answered, not taken as a report.
    assert "没有进行中" in await service.say("o-bob", "取消")


async def test_voice_with_recognition_files_a_case(service: Service) -> None:
    user = service.user("o-voice")
    first = await user.voice(recognition="我家楼下的饭店油烟太大，每天晚上熏得没法开窗。")
    assert "地点" in (first.reply_text or "")
    await service.say("o-voice", "跳过")
    await service.say("o-voice", "跳过")
    filed = await service.say("o-voice", "确认")
    assert NUMBER.search(filed)
    await media.wait_for_downloads(service.rt)
    [case] = await cases_of(service, "o-voice")
    assert "油烟" in case.content
    async with service.rt.sessions() as session:
        [att] = list(await session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
    assert att.kind == "voice" and "油烟" in (att.recognition or "")
    assert att.stored_path and (await media.open_attachment(service.rt, att)).content_type == "audio/amr"


async def test_voice_without_recognition_waits_for_words(service: Service) -> None:
    first = await service.user("o-mute").voice()
    assert "文字或语音" in (first.reply_text or "")
    reply = await service.say("o-mute", "单位拖欠工资三个月了，老板一直不露面")
    assert "地点" in reply


async def test_fifty_citizens_reporting_concurrently_get_fifty_distinct_numbers(service: Service) -> None:
    async def one(i: int) -> str:
        return await report(service, f"o-many-{i}", f"第{i}号楼的电梯又坏了，老人上下楼很困难，请尽快维修")

    replies = await asyncio.gather(*(one(i) for i in range(50)))
    numbers = [NUMBER.search(r).group(0) for r in replies]  # type: ignore[union-attr]
    assert len(set(numbers)) == 50
    cases = await cases_of(service)
    assert len(cases) == 50
    assert sorted(c.number for c in cases) == sorted(numbers)
    assert len({c.citizen_openid for c in cases}) == 50


BAD_INPUTS = [
    ("empty", ""),
    ("spaces", "    "),
    ("very long", "小区噪音扰民" * 834),
    ("emoji only", "😀😡🙏🔥"),
    ("english", "My water has been cut off for three days, please help"),
    ("sql", "'; DROP TABLE cases; --"),
    ("sql in query", "查询 1' OR '1'='1"),
    ("sql in supplement", "补充 XF1' OR 1=1 --"),
    ("greeting", "你好"),
    ("digit", "3"),
    ("confirm while idle", "确认"),
]


@pytest.mark.parametrize(("label", "text"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
async def test_bad_input_gets_a_sensible_reply_and_no_error(service: Service, label: str, text: str) -> None:
    reply = await service.say("o-odd", text)
    assert reply, label
    assert re.search(r"[\u4e00-\u9fff]", reply), reply
    assert len(reply) < 400 or label == "very long"
    assert service.rt.handler_errors == []


async def test_very_long_message_starts_a_report_that_can_be_filed(service: Service) -> None:
    filed = await report(service, "o-long", "小区噪音扰民，" * 800)
    assert NUMBER.search(filed)


async def test_citizen_typing_staff_commands_gets_citizen_help(service: Service) -> None:
    reply = await service.say("o-curious", "受理 XF20261124-0001")
    # The citizen help, and no hint that the command exists for someone else.
    assert "查询" in reply and "工作人员" not in reply and "受理" not in reply
    assert await cases_of(service) == []


async def test_other_citizens_case_is_not_found(service: Service) -> None:
    filed = await report(service, "o-owner", "我家门口的下水道堵了一周，污水横流")
    number = NUMBER.search(filed).group(0)  # type: ignore[union-attr]
    reply = await service.say("o-snoop", f"查询 {number}")
    assert "没有找到" in reply and "污水" not in reply


async def test_timeline_names_staff_by_role_and_department_only(service: Service) -> None:
    filed = await report(service, "o-tl", "单位拖欠工资三个月了，老板一直不露面")
    number = NUMBER.search(filed).group(0)  # type: ignore[union-attr]
    staff_id = await add_person(service, name="张三丰", role="staff", openid="o-staff-zhang", department="人社局")
    from bot.services.cases import Actor, record

    async with service.rt.sessions() as session, session.begin():
        case = await session.scalar(select(Case).where(Case.number == number))
        from storage.models import Person

        staff = await session.get(Person, staff_id)
        await record(session, service.rt, case, action="accept", actor=Actor.of(staff), transition=True,
                     text="已受理，将在30日内答复")
    detail = await service.say("o-tl", f"查询 {number}")
    assert "人社局工作人员 受理" in detail and "张三丰" not in detail


async def test_supplement_adds_material_and_notifies_department_staff(service: Service) -> None:
    filed = await report(service, "o-sup", "单位拖欠工资三个月了，老板一直不露面")
    number = NUMBER.search(filed).group(0)  # type: ignore[union-attr]
    [case] = await cases_of(service, "o-sup")
    async with service.rt.sessions() as session:
        from storage.models import Department

        dept = await session.get(Department, case.department_id)
    await add_person(service, name="李四", role="staff", openid="o-staff-li", department=dept.name)
    waiting = await service.say("o-sup", f"补充 {number}")
    assert "完成" in waiting
    photo = await service.user("o-sup").image()
    assert number in (photo.reply_text or "")
    added = await service.say("o-sup", "拖欠的是2026年8月到10月的工资，共计三万元")
    assert "已补充" in added
    from tests.citizen.helpers import outbox

    notices = await outbox(service, "supplement")
    assert {n.openid for n in notices} == {"o-staff-li"} and len(notices) == 2
    assert any("三万元" in n.text for n in notices)
    detail = await service.say("o-sup", f"查询 {number}")
    assert "补充材料" in detail


async def test_draft_is_kept_and_reminded_once_after_thirty_minutes(service: Service) -> None:
    from datetime import timedelta

    await service.say("o-slow", "小区门口的路面塌陷了一个大坑，很危险")
    async with service.rt.sessions() as session, session.begin():
        assert await report_drafts.remind_stale_drafts(session, service.rt) == 0
    service.clock.advance(timedelta(minutes=31))
    async with service.rt.sessions() as session, session.begin():
        assert await report_drafts.remind_stale_drafts(session, service.rt) == 1
    service.clock.advance(timedelta(minutes=31))
    async with service.rt.sessions() as session, session.begin():
        assert await report_drafts.remind_stale_drafts(session, service.rt) == 0
    from tests.citizen.helpers import outbox

    [reminder] = await outbox(service, "draft_reminder")
    assert reminder.openid == "o-slow" and "路面塌陷" in reminder.text and "取消" in reminder.text
    # The draft is still there: the citizen carries on where they stopped.
    assert "电话" in await service.say("o-slow", "幸福路12号门口")
