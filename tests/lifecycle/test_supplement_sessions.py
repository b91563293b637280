"""Item 4 (补充 sessions): text + photo + 完成 give one summary and one notice; a photo after the
session lands on no case; a command or ten silent minutes end a session; a closed case says so."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs.scheduler import supplement_sessions
from bot.services import media
from storage.models import Attachment, Case, CaseEvent
from tests.harness import Service
from tests.staff.office import build_office, file_complaint, get_case, outbox_for


async def _supplement_notices(svc: Service, openid: str) -> list[str]:
    return [m.text for m in await outbox_for(svc, openid) if m.kind == "supplement"]


async def test_session_with_text_and_photo_then_a_photo_on_no_case(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    number = await file_complaint(office)
    citizen = svc.user(office.openid("citizen"))

    assert "完成" in await office.say("citizen", f"补充 {number}")
    text = "补充说明：物业今天又来收费了！！\n收据编号：０３２１。"
    assert "已补充到" in await office.say("citizen", text)
    photo = await citizen.image()
    assert "1 条文字、1 张图片" in (photo.reply_text or "")
    assert await _supplement_notices(svc, office.openid("staff")) == []  # not one notice per message
    done = await office.say("citizen", "完成")
    assert "已补充1 条文字、1 张图片" in done, done
    notices = await _supplement_notices(svc, office.openid("staff"))
    assert len(notices) == 1 and "1 条文字、1 张图片" in notices[0]
    await media.wait_for_downloads(svc.rt)

    case = await get_case(svc, number)
    async with svc.rt.sessions() as session:
        on_case = list(await session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
        texts = list(await session.scalars(select(CaseEvent.text).where(
            CaseEvent.case_id == case.id, CaseEvent.action == "supplement")))
    assert len(on_case) == 1 and text in texts

    # The session is over: a photo now starts a new report's draft, on no case.
    after = await citizen.image()
    assert "请再用文字或语音说明" in (after.reply_text or "")
    async with svc.rt.sessions() as session:
        loose = list(await session.scalars(select(Attachment).where(Attachment.case_id.is_(None))))
        assert len(loose) == 1
        assert len(list(await session.scalars(select(Attachment).where(Attachment.case_id == case.id)))) == 1
    await office.say("citizen", "取消")


async def test_command_or_silence_ends_a_session_and_closed_case_offers_review(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    number = await file_complaint(office)

    await office.say("citizen", f"补充 {number}")
    await office.say("citizen", "楼下又贴了收费通知")
    # A command typed during the session is executed as that command, not taken as material.
    reply = await office.say("citizen", f"查询 {number}")
    assert "办理记录" in reply and "已补充到" not in reply
    summaries = [m.text for m in await outbox_for(svc, office.openid("citizen")) if m.kind == "supplement_summary"]
    assert len(summaries) == 1 and "1 条文字" in summaries[0]
    assert "申请复查" in await office.say("citizen", "申请复查")  # usage, not material

    await office.say("citizen", f"补充 {number}")
    await svc.user(office.openid("citizen")).image()
    svc.clock.advance(timedelta(minutes=11))
    assert await supplement_sessions(svc.rt) == 1
    summaries = [m.text for m in await outbox_for(svc, office.openid("citizen")) if m.kind == "supplement_summary"]
    assert len(summaries) == 2 and "1 张图片" in summaries[1]
    assert "请再用文字或语音说明" in (await svc.user(office.openid("citizen")).image()).reply_text
    await office.say("citizen", "取消")

    await office.say("staff", f"受理 {number}")
    await office.say("staff", f"办结 {number} 已处理")
    await office.say("citizen", "1")
    async with svc.rt.sessions() as session:
        assert (await session.scalar(select(Case.status).where(Case.number == number))) == "closed"
    reply = await office.say("citizen", f"补充 {number}")
    assert "已结案" in reply and f"申请复查 {number}" in reply and "重新反映" in reply
