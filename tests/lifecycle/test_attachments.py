"""Item 7 (attachments reach staff): 详情 lists a case's photos and voice messages with their times;
``附件`` delivers an image and a voice message through the fake platform (uploaded as temporary media);
a failed download is retried by the scheduled job, and past WeChat's 3 days marked lost with a note."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs.scheduler import media_downloads
from bot.services import media
from bot.simulator.inbound import SAMPLE_AMR, SAMPLE_JPEG
from storage.models import Attachment, CaseEvent
from tests.harness import Service
from tests.staff.office import build_office, file_complaint, get_case, snapshot

HEARD = "物业今天又上门收停车费了"


async def test_detail_lists_and_attachment_command_sends_image_and_voice(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    number = await file_complaint(office)
    citizen = svc.user(office.openid("citizen"))
    await office.say("citizen", f"补充 {number}")
    await citizen.image()
    await citizen.voice(recognition=HEARD)
    await office.say("citizen", "完成")
    await media.wait_for_downloads(svc.rt)

    detail = await office.say("staff", f"详情 {number}")
    assert "附件（2个" in detail and "1. 图片 11-24 09:" in detail and "2. 语音 11-24 09:" in detail, detail
    assert f"识别：{HEARD}" in detail

    # Bad input: staff of another department get the not-found answer; nothing is queued.
    before = await snapshot(svc)
    assert "未找到该事项" in await office.say("other", f"附件 {number}")
    assert "共有2个附件" in await office.say("staff", f"附件 {number} 7")
    assert await snapshot(svc) == before

    reply = await office.say("staff", f"附件 {number}")
    assert "1（图片）" in reply and f"2（语音：{HEARD}）" in reply, reply
    await svc.deliver_outbox()
    kinds = [m.kind for m in svc.wx.inbox(office.openid("staff"))]
    assert "image" in kinds and "voice" in kinds
    uploaded = {kind: data for kind, data, _ in svc.wx.uploads.values()}
    assert uploaded == {"image": SAMPLE_JPEG, "voice": SAMPLE_AMR}
    sent = [m.payload for m in svc.wx.inbox(office.openid("staff")) if m.kind in ("image", "voice")]
    assert {p["msgtype"] for p in sent} == {"image", "voice"}
    assert all(p[p["msgtype"]]["media_id"] in svc.wx.uploads for p in sent)


async def test_failed_download_is_retried_then_marked_lost(service: Service) -> None:
    svc = service
    office = await build_office(svc)
    number = await file_complaint(office)
    citizen = svc.user(office.openid("citizen"))
    await office.say("citizen", f"补充 {number}")
    svc.wx.fail_for("media/get", 45009, seconds=3600)  # WeChat refuses downloads for an hour
    await citizen.image()
    # A second photo whose media WeChat no longer has (40007 on every try).
    gone = await citizen.image(media_id="MEDIA_gone_for_good")
    assert gone.status == 200
    svc.wx._media.pop("MEDIA_gone_for_good")
    await office.say("citizen", "完成")
    await media.wait_for_downloads(svc.rt)

    async with svc.rt.sessions() as session:
        rows = list(await session.scalars(select(Attachment).order_by(Attachment.id)))
    assert [r.stored_path for r in rows] == [None, None] and all(r.download_error for r in rows)
    assert "（下载中）" in await office.say("staff", f"详情 {number}")

    # Two hours later the job retries both: the first is stored now, the second still fails.
    svc.clock.advance(timedelta(hours=2))
    calls = len(svc.wx.calls_to("media/get"))
    assert await media_downloads(svc.rt) == 1
    assert len(svc.wx.calls_to("media/get")) == calls + 2

    # Past WeChat's 3 days the second is marked lost, with a note in the case's log.
    svc.clock.advance(timedelta(days=3))
    assert await media_downloads(svc.rt) == 1
    case = await get_case(svc, number)
    async with svc.rt.sessions() as session:
        rows = list(await session.scalars(select(Attachment).order_by(Attachment.id)))
        notes = list(await session.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case.id,
                                                                         CaseEvent.action == "media_lost")))
    assert rows[0].stored_path and rows[0].lost_at is None
    assert rows[1].stored_path is None and rows[1].lost_at is not None and len(notes) == 1
    detail = await office.say("staff", f"详情 {number}")
    assert "2. 图片" in detail and "（已过期丢失）" in detail and "未能在微信3天保存期限内下载" in detail
    assert "尚未下载或已过期丢失" in await office.say("staff", f"附件 {number} 2")
    assert "正在发送" in await office.say("staff", f"附件 {number} 1")
    assert await media_downloads(svc.rt) == 0  # nothing left to do
