"""The fake WeChat platform is faithful: wechatpy's own verification accepts what it pushes, and its API
server behaves like WeChat's for tokens, windows, media and injected failures."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import (
    ClickEvent,
    LocationEvent,
    ScanEvent,
    SubscribeEvent,
    SubscribeScanEvent,
    TemplateSendJobFinishEvent,
    UnsubscribeEvent,
)
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.messages import ImageMessage, LocationMessage, TextMessage, VoiceMessage
from wechatpy.parser import parse_message
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from bot.clock import FakeClock
from bot.simulator import FakeWeChat, InvalidReply, new_aes_key

TOKEN = "webhook-token"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class ReferenceWebhook:
    """A webhook built only from wechatpy's functions: whatever the fake pushes must pass it."""

    token: str
    appid: str
    aes_key: str | None = None
    # Key used to encrypt replies; normally the request's key (the fake must notice otherwise).
    reply_key: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            check_signature(self.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            return web.Response(status=403, text="bad signature")
        if request.method == "GET":
            return web.Response(text=q["echostr"])
        body = await request.read()
        encrypted = q.get("encrypt_type") == "aes"
        if encrypted:
            crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
            try:
                xml = crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
            except InvalidSignatureException:
                return web.Response(status=403, text="bad msg_signature")
        else:
            xml = body.decode("utf-8")
        message = parse_message(xml)
        self.received.append({"query": dict(q), "body": body, "xml": xml, "message": message})
        if message.type == "event" and message.event == "templatesendjobfinish":
            return web.Response(text="success")
        reply = create_reply(f"收到:{message.type}", message).render()
        if encrypted:
            reply_crypto = WeChatCrypto(self.token, self.reply_key or self.aes_key, self.appid)
            reply = reply_crypto.encrypt_message(reply, q["nonce"], q["timestamp"])
        return web.Response(text=reply, content_type="application/xml")

    @property
    def last(self) -> Any:
        return self.received[-1]["message"]


@pytest.fixture
async def wx(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat.running(clock=clock) as platform:
        yield platform


async def _serve(hook: ReferenceWebhook) -> web.AppRunner:
    app = web.Application()
    app.router.add_route("*", "/wechat", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    hook.url = f"http://{host}:{port}/wechat"
    return runner


@pytest.fixture
async def plain_hook(wx: FakeWeChat) -> AsyncIterator[ReferenceWebhook]:
    hook = ReferenceWebhook(TOKEN, wx.appid)
    runner = await _serve(hook)
    yield hook
    await runner.cleanup()


@pytest.fixture
async def safe_hook(wx: FakeWeChat) -> AsyncIterator[ReferenceWebhook]:
    hook = ReferenceWebhook(TOKEN, wx.appid, aes_key=new_aes_key())
    runner = await _serve(hook)
    yield hook
    await runner.cleanup()


# --- inbound: the fake acting as WeChat ------------------------------------------------------


async def test_url_verification_get_is_signed_and_echo_checked(
    wx: FakeWeChat, plain_hook: ReferenceWebhook
) -> None:
    user = wx.user("o_alice", plain_hook.url, TOKEN)

    result = await user.verify_url("echo-123")

    assert result.status == 200 and result.text == "echo-123"
    assert set(result.request.query) == {"signature", "timestamp", "nonce", "echostr"}


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_every_message_kind_passes_wechatpy_and_parses_as_the_right_type(
    wx: FakeWeChat, plain_hook: ReferenceWebhook, safe_hook: ReferenceWebhook, mode: str
) -> None:
    hook = plain_hook if mode == "plain" else safe_hook
    user = wx.user("o_alice", hook.url, TOKEN, hook.aes_key)

    r = await user.text("我要反映小区噪音问题 ]]> <b>")
    assert isinstance(hook.last, TextMessage) and hook.last.content == "我要反映小区噪音问题 ]]> <b>"
    assert r.reply is not None and r.reply["MsgType"] == "text" and r.reply_text == "收到:text"
    assert r.reply["ToUserName"] == "o_alice" and r.reply["FromUserName"] == wx.original_id

    await user.image(pic_url="http://example.test/p.jpg")
    assert isinstance(hook.last, ImageMessage) and hook.last.image == "http://example.test/p.jpg"
    assert hook.last.media_id.startswith("MEDIA_")

    await user.voice(recognition="楼道堆放杂物")
    assert isinstance(hook.last, VoiceMessage)
    assert (hook.last.format, hook.last.recognition) == ("amr", "楼道堆放杂物")

    await user.location(39.9042, 116.4074, scale=16, label="北京市东城区")
    assert isinstance(hook.last, LocationMessage)
    assert hook.last.location == ("39.9042", "116.4074") and hook.last.label == "北京市东城区"

    await user.subscribe()
    assert isinstance(hook.last, SubscribeEvent)
    await user.subscribe(scene="dept_7")
    assert isinstance(hook.last, SubscribeScanEvent) and hook.last.scene_id == "dept_7"
    await user.scan("dept_7")
    assert isinstance(hook.last, ScanEvent) and hook.last.scene_id == "dept_7"
    await user.click("MY_CASES")
    assert isinstance(hook.last, ClickEvent) and hook.last.key == "MY_CASES"
    await user.report_location(39.9, 116.4, 30.0)
    assert isinstance(hook.last, LocationEvent) and hook.last.latitude == 39.9
    result = await user.template_finished(123456789, "failed:user block")
    assert isinstance(hook.last, TemplateSendJobFinishEvent)
    assert (hook.last.id, hook.last.status) == (123456789, "failed:user block")
    assert result.reply is None
    await user.unsubscribe()
    assert isinstance(hook.last, UnsubscribeEvent)

    if mode == "safe":
        for got in hook.received:
            assert got["query"]["encrypt_type"] == "aes" and "msg_signature" in got["query"]
            assert b"<Encrypt>" in got["body"] and b"Content" not in got["body"]


async def test_safe_mode_reply_encrypted_with_another_key_is_flagged(
    wx: FakeWeChat, safe_hook: ReferenceWebhook
) -> None:
    safe_hook.reply_key = new_aes_key()
    user = wx.user("o_alice", safe_hook.url, TOKEN, safe_hook.aes_key)

    with pytest.raises(InvalidReply):
        await user.text("你好")


async def test_user_can_push_with_the_previous_key_during_rotation(
    wx: FakeWeChat, safe_hook: ReferenceWebhook
) -> None:
    current = safe_hook.aes_key
    assert current is not None
    user = wx.user("o_alice", safe_hook.url, TOKEN, new_aes_key())
    old_key_user = user.with_key(current)

    result = await old_key_user.text("旧密钥")

    assert result.reply_text == "收到:text"


async def test_replay_sends_the_identical_request(wx: FakeWeChat, safe_hook: ReferenceWebhook) -> None:
    user = wx.user("o_alice", safe_hook.url, TOKEN, safe_hook.aes_key)
    first = await user.text("同一条消息")

    again = await user.replay(first)

    a, b = safe_hook.received
    assert a["query"] == b["query"] and a["body"] == b["body"]
    assert again.request == first.request
    assert a["message"].id == b["message"].id


async def test_forged_signatures_are_rejected_by_wechatpy(
    wx: FakeWeChat, safe_hook: ReferenceWebhook
) -> None:
    user = wx.user("o_alice", safe_hook.url, TOKEN, safe_hook.aes_key)

    assert (await user.text("x", bad_signature=True)).status == 403
    assert (await user.text("x", bad_msg_signature=True)).status == 403
    assert (await user.verify_url("e", bad_signature=True)).status == 403
    old = await user.text("x", timestamp=1_000_000_000)
    assert old.status == 200 and old.request.timestamp == "1000000000"  # wechatpy itself has no window
    assert len(safe_hook.received) == 1


async def test_msgids_are_unique_and_times_come_from_the_clock(
    wx: FakeWeChat, plain_hook: ReferenceWebhook, clock: FakeClock
) -> None:
    alice = wx.user("o_alice", plain_hook.url, TOKEN)
    bob = wx.user("o_bob", plain_hook.url, TOKEN)
    results = [await alice.text("1"), await bob.text("2"), await alice.image()]
    clock.advance(minutes=3)
    await alice.click("A")
    await alice.click("B")  # same clock second: must not look like a retry of the first click

    ids = [r.message["MsgId"] for r in results]
    assert len(set(ids)) == 3
    start = int((clock.now() - timedelta(minutes=3)).timestamp())
    assert [int(r.message["CreateTime"]) for r in results] == [start] * 3
    assert results[0].request.timestamp == str(start)
    click_times = [m["message"].create_time for m in plain_hook.received[-2:]]
    assert click_times[0] != click_times[1]


# --- outbound: the fake API server ------------------------------------------------------------


async def _get(url: str, **params: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as s, s.get(url, params=params) as r:
        return json.loads(await r.text())


async def _post(url: str, body: Any, **params: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as s, s.post(url, json=body, params=params) as r:
        return json.loads(await r.text())


async def test_stable_token_is_stable_until_forced_or_nearly_expired(
    wx: FakeWeChat, clock: FakeClock
) -> None:
    url = wx.api_base + "/cgi-bin/stable_token"
    creds = {"grant_type": "client_credential", "appid": wx.appid, "secret": wx.secret}
    first = await _post(url, creds)
    again = await _post(url, creds)
    assert again["access_token"] == first["access_token"] and wx.token_issuances == 1

    forced = await _post(url, creds | {"force_refresh": True})
    assert forced["access_token"] != first["access_token"]
    send = wx.api_base + "/cgi-bin/menu/create"
    menu = {"button": [{"type": "click", "name": "a", "key": "A"}]}
    assert (await _post(send, menu, access_token=first["access_token"]))["errcode"] == 40001
    assert (await _post(send, menu, access_token=forced["access_token"]))["errcode"] == 0

    clock.advance(seconds=7200 - 200)
    renewed = await _post(url, creds)
    assert renewed["access_token"] != forced["access_token"] and wx.token_issuances == 3
    clock.advance(seconds=200)
    assert (await _post(send, menu, access_token=forced["access_token"]))["errcode"] == 42001
    assert (await _post(send, menu))["errcode"] == 41001
    assert (await _post(url, creds | {"secret": "nope"}))["errcode"] == 40125
    assert (await _post(url, creds | {"appid": "wxnope"}))["errcode"] == 40013


async def test_plain_token_endpoint_invalidates_the_previous_token_after_five_minutes(
    wx: FakeWeChat, clock: FakeClock
) -> None:
    url = wx.api_base + "/cgi-bin/token"
    creds = {"grant_type": "client_credential", "appid": wx.appid, "secret": wx.secret}
    old = (await _get(url, **creds))["access_token"]
    new = (await _get(url, **creds))["access_token"]
    send = wx.api_base + "/cgi-bin/menu/create"
    menu = {"button": [{"type": "click", "name": "a", "key": "A"}]}

    assert old != new
    assert (await _post(send, menu, access_token=old))["errcode"] == 0
    clock.advance(minutes=5, seconds=1)
    assert (await _post(send, menu, access_token=old))["errcode"] == 42001
    assert (await _post(send, menu, access_token=new))["errcode"] == 0


async def test_failure_for_a_duration_follows_the_platform_clock(wx: FakeWeChat, clock: FakeClock) -> None:
    token = wx.issue_token()
    send = wx.api_base + "/cgi-bin/message/custom/send"
    body = {"touser": "o_a", "msgtype": "text", "text": {"content": "hi"}}
    wx.fail_for("*", -1, seconds=60)

    assert (await _post(send, body, access_token=token))["errcode"] == -1
    clock.advance(seconds=59)
    assert (await _post(send, body, access_token=token))["errcode"] == -1
    clock.advance(seconds=2)
    assert (await _post(send, body, access_token=token))["errcode"] == 0
    assert [c.errcode for c in wx.calls_to("/cgi-bin/message/custom/send")] == [-1, -1, 0]
    assert wx.calls[-1].openid == "o_a" and wx.calls[-1].time == clock.now()


async def test_user_pushes_open_the_window_and_register_media(
    wx: FakeWeChat, plain_hook: ReferenceWebhook, clock: FakeClock
) -> None:
    wx.enforce_window = True
    token = wx.issue_token()
    send = wx.api_base + "/cgi-bin/message/custom/send"
    body = {"touser": "o_alice", "msgtype": "text", "text": {"content": "您好"}}
    assert (await _post(send, body, access_token=token))["errcode"] == 45015

    user = wx.user("o_alice", plain_hook.url, TOKEN)
    photo = await user.image(b"\xff\xd8\xff\xe0PHOTO\xff\xd9")
    assert (await _post(send, body, access_token=token))["errcode"] == 0
    assert wx.inbox_texts("o_alice") == ["您好"]

    async with aiohttp.ClientSession() as s:
        params = {"access_token": token, "media_id": photo.message["MediaId"]}
        async with s.get(wx.api_base + "/cgi-bin/media/get", params=params) as r:
            assert r.content_type == "image/jpeg" and await r.read() == b"\xff\xd8\xff\xe0PHOTO\xff\xd9"

    await user.unsubscribe()
    assert (await _post(send, body, access_token=token))["errcode"] == 43004
    clock.advance(hours=49)
    await user.subscribe()  # re-subscribing is an interaction: the window opens again
    assert (await _post(send, body, access_token=wx.issue_token()))["errcode"] == 0


async def test_sim_views_list_calls_and_inbox(wx: FakeWeChat) -> None:
    token = wx.issue_token()
    await _post(
        wx.api_base + "/cgi-bin/message/template/send",
        {
            "touser": "o_a",
            "template_id": "T1",
            "data": {"thing1": {"value": "已受理"}},
        },
        access_token=token,
    )

    async with aiohttp.ClientSession() as s:
        async with s.get(wx.api_base + "/_sim/inbox/o_a") as r:
            inbox = await r.json()
        async with s.get(wx.api_base + "/_sim/calls") as r:
            calls = await r.json()

    assert inbox[0]["kind"] == "template" and "thing1: 已受理" in inbox[0]["text"]
    assert calls[0]["endpoint"] == "message/template/send" and "access_token" not in calls[0]["params"]


async def test_standalone_server_prints_its_url_and_serves() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.simulator",
        "--appid",
        "wxdemo",
        "--secret",
        "s3cret",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=20)
        info = json.loads(line)
        answer = await _get(
            info["api_base"] + "/cgi-bin/token",
            grant_type="client_credential",
            appid="wxdemo",
            secret="s3cret",
        )
        assert info["appid"] == "wxdemo" and answer["expires_in"] == 7200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), timeout=10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
