"""The async WeChat API client against the fake platform over HTTP, with the token cache in a real DB."""

from __future__ import annotations

import asyncio
import socket

import pytest

from bot.clock import FakeClock
from bot.simulator import FakeWeChat
from bot.wechat.api import NETWORK_ERRCODE, WeChatAPIError, WeChatNetworkError
from tests.wechat.conftest import MakeAPI, SleepRecorder


async def test_token_is_fetched_once_and_shared_through_the_database(
    make_api: MakeAPI, wx: FakeWeChat
) -> None:
    first = await make_api()
    token = await first.access_token()
    second = await make_api()  # another worker process: own engine, nothing in memory

    assert await second.access_token() == token
    await second.send_custom_text("o_user", "您好")
    assert wx.token_issuances == 1
    assert len(wx.calls_to("stable_token")) == 1
    row = await second.tokens.peek()
    assert row is not None and row.token == token and row.refreshed_count == 1
    assert row.lease_holder is None and row.lease_until is None


async def test_token_is_refreshed_shortly_before_it_expires(
    make_api: MakeAPI, wx: FakeWeChat, clock: FakeClock
) -> None:
    api = await make_api()
    old = await api.access_token()
    clock.advance(seconds=7200 - 6 * 60)
    assert await api.access_token() == old
    clock.advance(minutes=2)  # now inside the five-minute margin

    new = await api.access_token()

    assert new != old
    assert wx.token_issuances == 2


async def test_rejected_token_is_refreshed_and_the_call_repeated_once(
    make_api: MakeAPI, wx: FakeWeChat
) -> None:
    api = await make_api()
    old = await api.access_token()
    wx.fail_next("message/custom/send", 40001)

    await api.send_custom_text("o_user", "受理通知")

    assert wx.token_issuances == 2
    assert await api.access_token() != old
    assert [c.errcode for c in wx.calls_to("message/custom/send")] == [40001, 0]
    assert wx.inbox_texts("o_user") == ["受理通知"]


@pytest.mark.parametrize("break_tokens", ["expire_all_tokens", "revoke_all_tokens"])
async def test_expired_or_revoked_token_on_the_platform_is_replaced(
    make_api: MakeAPI, wx: FakeWeChat, break_tokens: str
) -> None:
    api = await make_api()
    await api.access_token()
    getattr(wx, break_tokens)()

    await api.send_custom_text("o_user", "您好")

    expected = 42001 if break_tokens == "expire_all_tokens" else 40001
    assert [c.errcode for c in wx.calls_to("message/custom/send")] == [expected, 0]
    stable_calls = wx.calls_to("stable_token")
    assert stable_calls[-1].payload["force_refresh"] is True


async def test_token_rejected_twice_in_a_row_raises(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()
    wx.fail_next("message/custom/send", 40001, count=2)

    with pytest.raises(WeChatAPIError) as err:
        await api.send_custom_text("o_user", "您好")

    assert err.value.errcode == 40001
    assert len(wx.calls_to("message/custom/send")) == 2


async def test_other_worker_reuses_a_token_already_force_refreshed(make_api: MakeAPI, wx: FakeWeChat) -> None:
    a, b = await make_api(), await make_api()
    stale = await a.access_token()
    fresh = await a.access_token(force=True, stale=stale)

    # b saw the same rejection of the same stale token a moment later: no second refresh.
    assert await b.access_token(force=True, stale=stale) == fresh
    assert wx.token_issuances == 2


async def test_system_busy_is_retried_with_backoff_then_succeeds(make_api: MakeAPI, wx: FakeWeChat) -> None:
    sleep = SleepRecorder()
    api = await make_api(sleep=sleep)
    wx.fail_next("message/custom/send", -1, count=2)

    await api.send_custom_text("o_user", "您好")

    assert sleep.delays == [0.5, 1.0]
    assert [c.errcode for c in wx.calls_to("message/custom/send")] == [-1, -1, 0]
    assert wx.inbox_texts("o_user") == ["您好"]


async def test_system_busy_gives_up_after_a_few_attempts(make_api: MakeAPI, wx: FakeWeChat) -> None:
    sleep = SleepRecorder()
    api = await make_api(sleep=sleep, max_attempts=3)
    wx.fail_next("message/custom/send", -1, count=10)

    with pytest.raises(WeChatAPIError) as err:
        await api.send_custom_text("o_user", "您好")

    assert err.value.errcode == -1 and err.value.retryable
    assert len(wx.calls_to("message/custom/send")) == 3
    assert sleep.delays == [0.5, 1.0]


async def test_busy_token_endpoint_is_retried_too(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()
    wx.fail_next("stable_token", -1)

    assert await api.access_token()
    assert [c.errcode for c in wx.calls_to("stable_token")] == [-1, 0]


async def test_outside_48_hour_window_raises_at_once(
    make_api: MakeAPI, wx: FakeWeChat, clock: FakeClock
) -> None:
    sleep = SleepRecorder()
    api = await make_api(sleep=sleep)
    wx.enforce_window = True
    wx.note_user_message("o_user")
    clock.advance(hours=49)

    with pytest.raises(WeChatAPIError) as err:
        await api.send_custom_text("o_user", "您好")

    assert err.value.errcode == 45015 and not err.value.retryable
    assert len(wx.calls_to("message/custom/send")) == 1
    assert sleep.delays == []
    assert wx.inbox("o_user") == []


async def test_customer_service_reply_limit_per_user_message(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()
    wx.enforce_window = True
    wx.note_user_message("o_user")
    for i in range(5):
        await api.send_custom_text("o_user", f"第{i + 1}条")

    with pytest.raises(WeChatAPIError) as err:
        await api.send_custom_text("o_user", "第6条")

    assert err.value.errcode == 45047
    assert len(wx.inbox("o_user")) == 5


@pytest.mark.parametrize("errcode", [45009, 43004, 40003, 45015])
async def test_caller_errors_are_raised_without_retry(
    make_api: MakeAPI, wx: FakeWeChat, errcode: int
) -> None:
    sleep = SleepRecorder()
    api = await make_api(sleep=sleep)
    wx.fail_next("message/template/send", errcode)

    with pytest.raises(WeChatAPIError) as err:
        await api.send_template("o_user", "TPL_ACCEPTED", {"thing1": "您的信访事项"})

    assert err.value.errcode == errcode
    assert err.value.errmsg
    assert len(wx.calls_to("message/template/send")) == 1 and sleep.delays == []


async def test_quota_and_unsubscribed_user_come_from_platform_state(
    make_api: MakeAPI, wx: FakeWeChat
) -> None:
    api = await make_api()
    wx.set_quota("message/custom/send", 1)
    wx.set_unsubscribed("o_gone")
    await api.send_custom_text("o_user", "一")

    with pytest.raises(WeChatAPIError) as quota:
        await api.send_custom_text("o_user", "二")
    wx.clear_failures()
    with pytest.raises(WeChatAPIError) as gone:
        await api.send_custom_text("o_gone", "三")

    assert (quota.value.errcode, gone.value.errcode) == (45009, 43004)


async def test_five_workers_asking_at_once_cause_one_token_issuance(
    make_api: MakeAPI, wx: FakeWeChat
) -> None:
    clients = [await make_api() for _ in range(5)]
    # A slow token endpoint keeps the refresher busy while the others arrive and must wait.
    wx.delay_next("stable_token", 0.3)

    tokens = await asyncio.gather(*(c.access_token() for c in clients))

    assert len(set(tokens)) == 1
    assert wx.token_issuances == 1
    assert len(wx.calls_to("stable_token")) == 1
    row = await clients[0].tokens.peek()
    assert row is not None and row.refreshed_count == 1


async def test_timeout_is_retried_and_the_late_call_still_counts(make_api: MakeAPI, wx: FakeWeChat) -> None:
    sleep = SleepRecorder()
    api = await make_api(timeout=0.3, sleep=sleep)
    await api.access_token()
    wx.delay_next("message/custom/send", 1.0)

    await api.send_custom_text("o_user", "您好")

    assert sleep.delays == [0.5]
    # WeChat carried out the slow call too: a retry after a timeout can deliver twice.
    await asyncio.sleep(0.8)
    assert wx.inbox_texts("o_user") == ["您好", "您好"]


async def test_persistent_timeouts_raise_a_network_error(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api(timeout=0.2, max_attempts=2)
    await api.access_token()
    wx.delay_next("menu/create", 0.5, count=None)

    with pytest.raises(WeChatNetworkError) as err:
        await api.create_menu({"button": [{"type": "click", "name": "我要反映", "key": "REPORT"}]})

    assert err.value.errcode == NETWORK_ERRCODE and err.value.retryable


async def test_unreachable_platform_raises_a_network_error(make_api: MakeAPI) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    sleep = SleepRecorder()
    api = await make_api(api_base=f"http://127.0.0.1:{closed_port}", sleep=sleep)

    with pytest.raises(WeChatNetworkError):
        await api.access_token()

    assert sleep.delays == [0.5, 1.0, 2.0]
    row = await api.tokens.peek()
    assert row is not None and row.lease_holder is None, "a failed refresh must release the lease"


async def test_template_message_returns_msgid_and_reaches_the_phone(
    make_api: MakeAPI, wx: FakeWeChat
) -> None:
    api = await make_api()

    msgid = await api.send_template(
        "o_user",
        "TPL_ACCEPTED",
        {"character_string1": "XF-2026-0001", "thing2": "已受理"},
        url="https://x.test/c/1",
    )

    assert msgid.isdigit()
    [message] = wx.inbox("o_user")
    assert message.kind == "template" and message.msgid == msgid
    assert "character_string1: XF-2026-0001" in message.text and "thing2: 已受理" in message.text
    assert message.payload["url"] == "https://x.test/c/1"


async def test_media_download_returns_bytes_and_content_type(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()
    media_id = wx.register_media(b"\xff\xd8\xff\xe0photo\xff\xd9", "image/jpeg")

    content, content_type = await api.download_media(media_id)

    assert content == b"\xff\xd8\xff\xe0photo\xff\xd9"
    assert content_type == "image/jpeg"


async def test_unknown_or_expired_media_raises_with_errcode(
    make_api: MakeAPI, wx: FakeWeChat, clock: FakeClock
) -> None:
    api = await make_api()
    media_id = wx.register_media(b"#!AMR\n....", "audio/amr")
    with pytest.raises(WeChatAPIError) as unknown:
        await api.download_media("no-such-media")
    clock.advance(days=3, minutes=1)  # temporary media live three days
    with pytest.raises(WeChatAPIError) as expired:
        await api.download_media(media_id)

    assert unknown.value.errcode == 40007 and expired.value.errcode == 40007


async def test_media_download_refreshes_a_rejected_token(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()
    media_id = wx.register_media(b"\xff\xd8data\xff\xd9")
    await api.access_token()
    wx.expire_all_tokens()

    content, _ = await api.download_media(media_id)

    assert content == b"\xff\xd8data\xff\xd9"
    assert wx.token_issuances == 2


async def test_create_menu_and_image_message(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()
    menu = {"button": [{"type": "click", "name": "我要反映", "key": "REPORT"}]}

    await api.create_menu(menu)
    await api.send_custom_image("o_user", "MEDIA_1")

    assert wx.menu == menu
    assert wx.inbox("o_user")[0].kind == "image"


async def test_generic_call_passes_params_and_chinese_text(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()

    result = await api.call(
        "POST",
        "/cgi-bin/message/custom/send",
        json={
            "touser": "o_user",
            "msgtype": "text",
            "text": {"content": "信访事项已转交 ]]> 处理"},
        },
    )

    assert result == {"errcode": 0, "errmsg": "ok"}
    assert wx.inbox_texts("o_user") == ["信访事项已转交 ]]> 处理"]
    assert "access_token" not in wx.calls[-1].params


async def test_token_fetch_with_wrong_secret_raises(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api()
    wx.secret = "rotated-elsewhere"

    with pytest.raises(WeChatAPIError) as err:
        await api.access_token()

    assert err.value.errcode == 40125
    row = await api.tokens.peek()
    assert row is not None and row.lease_until is None


async def test_plain_token_endpoint_can_be_used_instead(make_api: MakeAPI, wx: FakeWeChat) -> None:
    api = await make_api(use_stable_token=False)

    await api.send_custom_text("o_user", "您好")

    assert len(wx.calls_to("token")) == 1 and not wx.calls_to("stable_token")


async def test_backoff_is_capped(make_api: MakeAPI, wx: FakeWeChat) -> None:
    sleep = SleepRecorder()
    api = await make_api(sleep=sleep, max_attempts=7, backoff_max=3.0)
    wx.fail_next("menu/create", -1, count=6)

    await api.create_menu({"button": [{"type": "click", "name": "帮助", "key": "HELP"}]})

    assert sleep.delays == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
