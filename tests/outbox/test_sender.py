"""The outbox sender against the fake platform: channel choice, fallbacks, failures, reasons."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.outbox import notify
from storage.models import Follower, OutboxMessage
from tests.harness import Service


async def _no_sleep(_: float) -> None:
    return None


def _quick(svc: Service, **templates: str) -> None:
    # The API client's own short retries would sleep in real time; the sender's backoff is what we test.
    svc.rt.api._sleep = _no_sleep
    svc.rt.settings.template_ids.update(templates)


async def _queue(svc: Service, openid: str, kind: str, text: str) -> None:
    async with svc.rt.sessions() as session, session.begin():
        assert await notify(session, svc.rt, openid=openid, kind=kind, text=text, fields={"number": "XF1"})


async def _follow(svc: Service, openid: str, *, ago: timedelta | None = timedelta(0),
                  subscribed: bool = True) -> None:
    async with svc.rt.sessions() as session, session.begin():
        session.add(Follower(openid=openid, subscribed=subscribed, custom_sent_since_inbound=0,
                             last_inbound_at=None if ago is None else svc.clock.now() - ago))


async def _rows(svc: Service) -> list[OutboxMessage]:
    async with svc.rt.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _drain(svc: Service, passes: int = 5) -> None:
    for _ in range(passes):
        await svc.deliver_outbox()


async def test_inside_window_customer_service_outside_template(service: Service) -> None:
    _quick(service, reply="TPL-REPLY")
    await _follow(service, "o-recent", ago=timedelta(hours=47))
    await _follow(service, "o-old", ago=timedelta(hours=49))
    await _queue(service, "o-recent", "reply", "近期回复")
    await _queue(service, "o-old", "reply", "久未联系的回复")
    await service.deliver_outbox()
    recent, old = await _rows(service)
    assert (recent.status, recent.channel) == ("sent", "custom")
    assert (old.status, old.channel) == ("sent", "template") and old.wechat_msgid
    assert service.inbox("o-recent") == ["近期回复"]
    assert "久未联系的回复" in service.inbox("o-old")[0]


async def test_sixth_message_after_one_inbound_goes_as_template(service: Service) -> None:
    _quick(service, staff_update="TPL-UPDATE")
    await _follow(service, "o-busy")
    for i in range(6):
        await _queue(service, "o-busy", "staff_update", f"更新{i}")
    await service.deliver_outbox()
    assert [r.channel for r in await _rows(service)] == ["custom"] * 5 + ["template"]


async def test_without_template_id_message_waits_with_reason_then_goes_when_user_writes(service: Service) -> None:
    _quick(service)
    await _follow(service, "o-away", ago=timedelta(days=3))
    await _queue(service, "o-away", "accept_notice", "受理告知")
    await service.deliver_outbox()
    (row,) = await _rows(service)
    assert row.status == "waiting" and "accept_notice" in row.last_error and "模板" in row.last_error
    await service.say("o-away", "你好")  # the window opens again
    service.clock.advance(timedelta(minutes=6))
    await service.deliver_outbox()
    (row,) = await _rows(service)
    assert row.status == "sent" and row.channel == "custom"
    assert "受理告知" in service.inbox("o-away")


async def test_unsubscribed_follower_gets_nothing_and_the_reason_is_kept(service: Service) -> None:
    _quick(service, reply="TPL")
    await _follow(service, "o-gone", subscribed=False)
    await _queue(service, "o-gone", "reply", "回复")
    await service.deliver_outbox()
    (row,) = await _rows(service)
    assert row.status == "failed" and "取消关注" in row.last_error
    assert service.inbox("o-gone") == []


async def test_43004_from_wechat_fails_with_reason_and_marks_the_follower(service: Service) -> None:
    _quick(service, reply="TPL")
    service.wx.set_unsubscribed("o-left")
    await _queue(service, "o-left", "reply", "回复")
    await service.deliver_outbox()
    (row,) = await _rows(service)
    assert row.status == "failed" and "43004" in row.last_error


async def test_template_delivery_report_updates_the_row(service: Service) -> None:
    _quick(service, reply="TPL")
    await _queue(service, "o-t", "reply", "模板消息")
    await service.deliver_outbox()
    (row,) = await _rows(service)
    await service.user("o-t").template_finished(row.wechat_msgid, "success")
    (row,) = await _rows(service)
    assert row.delivery_status == "success" and row.delivered_at is not None
    await _queue(service, "o-t", "reply", "第二条")
    await service.deliver_outbox()
    second = (await _rows(service))[1]
    await service.user("o-t").template_finished(second.wechat_msgid, "failed:user block")
    second = (await _rows(service))[1]
    assert second.status == "failed" and "user block" in second.last_error


async def test_flaky_platform_loses_nothing_and_reasons_show_in_cli(service: Service, db_url: str) -> None:
    """-1 for a minute, then an expired token, then 45015: every message ends sent, or
    failed/waiting with its reason listed by ``xinfang outbox``."""
    svc = service
    _quick(svc, reply="TPL-REPLY")
    await _follow(svc, "o-a")                              # inside the window
    await _follow(svc, "o-b", ago=timedelta(days=5))       # outside, template configured for reply
    await _follow(svc, "o-c", ago=timedelta(days=5))       # outside, no template for accept_notice
    for i in range(3):
        await _queue(svc, "o-a", "reply", f"A{i}")
        await _queue(svc, "o-b", "reply", f"B{i}")
        await _queue(svc, "o-c", "accept_notice", f"C{i}")
    await svc.deliver_outbox()  # fetch a token while things work
    await _queue(svc, "o-a", "reply", "A-during-outage")

    svc.wx.fail_for("*", -1, seconds=60)
    for _ in range(4):
        svc.clock.advance(timedelta(seconds=31))
        await svc.deliver_outbox()
    outage = [r for r in await _rows(svc) if r.text == "A-during-outage"][0]
    assert outage.attempts >= 1

    svc.clock.advance(timedelta(seconds=120))
    svc.wx.expire_all_tokens()
    await _queue(svc, "o-a", "reply", "A-after-expiry")
    await _drain(svc)

    await _follow(svc, "o-d")
    svc.wx.fail_next("message/custom/send", 45015, count=2)
    await _queue(svc, "o-d", "reply", "D-window-closed")
    await _queue(svc, "o-d", "accept_notice", "D-no-template")
    await _drain(svc)

    rows = await _rows(svc)
    assert len(rows) == 13
    for row in rows:
        assert row.status in ("sent", "failed", "waiting"), (row.text, row.status)
        if row.status != "sent":
            assert row.last_error, row.text
    by_text = {r.text: r for r in rows}
    assert by_text["A-during-outage"].status == "sent"
    assert by_text["A-after-expiry"].status == "sent"
    assert by_text["D-window-closed"].channel == "template"
    assert by_text["D-no-template"].status == "waiting"
    # Nothing was delivered twice.
    delivered = [m for o in ("o-a", "o-b", "o-c", "o-d") for m in svc.inbox(o)]
    for row in rows:
        if row.status == "sent":
            assert sum(row.text in m for m in delivered) == 1, row.text

    result = await asyncio.to_thread(CliRunner().invoke, main, ["outbox", "--json"],
                                     env={"XINFANG_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["messages"]
    not_sent = {r.id for r in rows if r.status != "sent"}
    assert {m["id"] for m in listed} == not_sent
    assert all(m["reason"] for m in listed)

    text = await asyncio.to_thread(CliRunner().invoke, main, ["outbox"], env={"XINFANG_DATABASE_URL": db_url})
    assert "模板ID" in text.output

    retried = await asyncio.to_thread(CliRunner().invoke, main, ["outbox", "--retry-all", "--json"],
                                      env={"XINFANG_DATABASE_URL": db_url})
    assert json.loads(retried.output)["retried"] == len(not_sent)


async def test_sender_loop_delivers_in_the_background_and_stops_cleanly(service: Service) -> None:
    from bot.outbox_sender import start_sender

    _quick(service, reply="TPL")
    await _queue(service, "o-loop", "reply", "后台发送")
    stop = await start_sender(service.rt, idle_seconds=0.02)
    try:
        for _ in range(200):
            if (await _rows(service))[0].status == "sent":
                break
            await asyncio.sleep(0.02)
    finally:
        await stop()
    assert (await _rows(service))[0].status == "sent"
    assert len(service.inbox("o-loop")) == 1
