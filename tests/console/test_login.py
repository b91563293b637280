"""Login from chat: a one-time link, a session cookie, 退出, and the links and cookies that must fail."""

from __future__ import annotations

from datetime import timedelta

from tests.console.desk import Desk
from tests.staff.office import file_complaint


async def test_chat_link_logs_in_once_and_inbox_lists_the_chat_case(desk: Desk) -> None:
    number = await file_complaint(desk.office)
    link = await desk.login_link("staff")
    browser = await desk.browser()
    landing = await browser.get(link)
    assert landing.status == 200 and "登录" in landing.text  # a GET does not use the link up
    page = await browser.post(link, {}, csrf=False)
    assert page.status == 200 and number in page.text
    again = await (await desk.browser()).post(link, {}, csrf=False)
    assert again.status == 403 and "已经使用过" in again.text
    assert number in (await browser.get("/inbox")).text


async def test_expired_and_forged_links_are_refused(desk: Desk) -> None:
    link = await desk.login_link("staff")
    desk.svc.clock.advance(timedelta(minutes=11))
    browser = await desk.browser()
    expired = await browser.post(link, {}, csrf=False)
    assert expired.status == 403 and "已过期" in expired.text
    forged = await browser.post(f"{desk.url}/login/{'A' * 43}", {}, csrf=False)
    assert forged.status == 403 and "无效" in forged.text
    assert (await browser.get("/inbox")).status == 401


async def test_a_citizens_登录_gets_no_link_and_starts_no_report(desk: Desk) -> None:
    reply = await desk.svc.say("o-somebody", "登录")
    assert "/login/" not in reply
    assert "跳过" not in reply and "确认" not in reply  # not taken as the start of a petition
