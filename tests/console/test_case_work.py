"""The console works cases the way chat does: same list, same rights, same services and notices."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.services import people
from storage.models import Case, CaseEvent, CaseView
from tests.console.desk import Desk
from tests.staff.office import CASE_NUMBER, file_complaint, get_case, snapshot


def listed(html: str) -> list[str]:
    """Case numbers in the inbox table, in order."""
    return re.findall(r'data-number="(XF\d{8}-\d{4})"', html)


async def test_accept_and_reply_from_the_console_reach_the_citizens_phone(desk: Desk) -> None:
    number = await file_complaint(desk.office)
    browser = await desk.browser("staff")
    page = await browser.get(f"/cases/{number}")
    assert page.status == 200 and "物业乱收费" in page.text
    accepted = await browser.post(f"/cases/{number}/accept", {"days": ""})
    assert accepted.status == 200 and "已受理" in accepted.text
    replied = await browser.post(f"/cases/{number}/reply", {"text": "已约物业公司周五前答复 <b>收费依据</b>"})
    assert replied.status == 200 and "已回复" in replied.text
    assert "&lt;b&gt;收费依据&lt;/b&gt;" in replied.text  # shown as typed, escaped
    await desk.svc.deliver_outbox()
    phone = desk.svc.inbox("o-citizen")
    assert any("已受理" in text and number in text for text in phone), phone
    assert any("已约物业公司周五前答复 <b>收费依据</b>" in text for text in phone), phone
    assert (await get_case(desk.svc, number)).status == "in_progress"


async def test_inbox_is_chats_todo_list(desk: Desk) -> None:
    for who, text in (("o-c1", "小区物业乱收费，停车费每月涨价"), ("o-c2", "物业公司不修电梯，老人上下楼困难"),
                      ("o-c3", "物业强制收取装修押金不退")):
        await file_complaint(desk.office, who, text=text)
    chat = CASE_NUMBER.findall(await desk.office.say("staff", "待办"))
    page = await (await desk.browser("staff")).get("/inbox")
    assert listed(page.text) == chat and len(chat) >= 2


async def test_other_department_gets_404_and_no_search_hit(desk: Desk) -> None:
    number = await file_complaint(desk.office)
    other = await desk.browser("other")
    assert (await other.get(f"/cases/{number}")).status == 404
    assert (await other.get("/cases/XF20990101-0001")).status == 404  # same page as a missing case
    for q in (number, "物业乱收费"):
        page = await other.get("/inbox", params={"q": q, "status": "all"})
        assert page.status == 200 and listed(page.text) == []
    refused = await other.post(f"/cases/{number}/accept", {})
    assert refused.status == 404
    assert (await get_case(desk.svc, number)).status == "registered"


async def test_every_case_file_view_is_logged_for_the_supervisor(desk: Desk) -> None:
    number = await file_complaint(desk.office)
    staff = await desk.browser("staff")
    await staff.get(f"/cases/{number}")
    async with desk.svc.rt.sessions() as session:
        views = list(await session.scalars(select(CaseView)))
    assert len(views) == 1
    log = await (await desk.browser("supervisor")).get("/access-log")
    assert log.status == 200 and number in log.text and "staff-name" in log.text
    assert (await staff.get("/access-log")).status == 403


async def test_post_without_or_with_a_wrong_csrf_token_changes_nothing(desk: Desk) -> None:
    number = await file_complaint(desk.office)
    browser = await desk.browser("staff")
    before = await snapshot(desk.svc)
    missing = await browser.post(f"/cases/{number}/accept", {"days": ""}, csrf=False)
    wrong = await browser.post(f"/cases/{number}/accept", {"days": "", "csrf": "x" * 32}, csrf=False)
    assert missing.status == wrong.status == 403 and "安全令牌" in missing.text
    assert await snapshot(desk.svc) == before


async def test_bad_input_gets_a_clear_page_and_changes_nothing(desk: Desk) -> None:
    number = await file_complaint(desk.office)
    browser = await desk.browser("staff")
    before = await snapshot(desk.svc)
    long_search = await browser.get("/inbox", params={"q": "物" * 5000})
    assert long_search.status == 200 and "搜索词过长" in long_search.text
    assert (await browser.get("/inbox", params={"q": "\x00\x01"})).status == 200
    for q in ("' OR 1=1 --", "%", "_", "\\", "'; DROP TABLE cases; --", "无此词\x00"):
        page = await browser.get("/inbox", params={"q": q, "status": "all"})
        assert page.status == 200 and listed(page.text) == [], q
    for params in ({"page": "9" * 40}, {"department": "1 OR 1=1"}, {"sort": "id; --"}, {"status": "<script>"}):
        assert (await browser.get("/inbox", params=params)).status == 200, params
    bad_days = await browser.post(f"/cases/{number}/accept", {"days": "abc"})
    assert bad_days.status == 400 and "整数" in bad_days.text
    assert (await browser.post(f"/cases/{number}/nonsense", {})).status == 404
    assert (await browser.get("/media/999999")).status == 404
    assert (await browser.get("/media/abc")).status == 404
    assert await snapshot(desk.svc) == before


async def test_tampered_cookie_idle_timeout_logout_and_unbinding_end_the_session(desk: Desk) -> None:
    from datetime import timedelta

    browser = await desk.browser("staff")
    cookie = next(c for c in browser.http.cookie_jar if c.key == "xf_console")
    good = cookie.value
    for forged in (good[:-1] + ("0" if good[-1] != "0" else "1"), "x" + good, "junk", "a.b"):
        browser.set_cookie(forged)
        page = await browser.get("/inbox")
        assert page.status == 401 and "登录" in page.text
    browser.set_cookie(good)
    assert (await browser.get("/inbox")).status == 200
    desk.svc.clock.advance(timedelta(minutes=31))
    assert (await browser.get("/inbox")).status == 401

    browser = await desk.browser("staff")
    page = await browser.get("/inbox")
    assert (await browser.post("/logout", {})).status == 200
    assert (await browser.get("/inbox")).status == 401

    first, second = await desk.browser("staff"), await desk.browser("staff")
    await first.get("/inbox")
    assert (await first.post("/logout", {"everywhere": "1"})).status == 200
    assert (await second.get("/inbox")).status == 401

    browser = await desk.browser("staff")
    async with desk.svc.rt.sessions() as session, session.begin():
        person = (await people.find_person(session, "staff-name"))[0]
        await people.unbind(session, desk.svc.rt, person)
    assert (await browser.get("/inbox")).status == 401
    assert page.status == 200


async def test_register_a_letter_through_the_chat_intake(desk: Desk) -> None:
    browser = await desk.browser("staff")
    await browser.get("/register")
    page = await browser.post("/register", {"source": "letter", "content": "来信反映：小区物业乱收费，停车费上涨",
                                            "name": "张三", "phone": "13800001234"})
    assert page.status == 200 and "已登记" in page.text
    number = CASE_NUMBER.search(page.url).group(0)  # type: ignore[union-attr]
    case = await get_case(desk.svc, number)
    assert case.source == "letter" and case.content == "来信反映：小区物业乱收费，停车费上涨"
    async with desk.svc.rt.sessions() as session:
        actions = list(await session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)))
    assert actions == ["register"]
    empty = await browser.post("/register", {"source": "letter", "content": "  "})
    assert empty.status == 400
    async with desk.svc.rt.sessions() as session:
        assert len(list(await session.scalars(select(Case.id)))) == 1


async def test_a_whistleblowers_identity_is_hidden_from_the_department(desk: Desk) -> None:
    browser = await desk.browser("staff")
    await browser.get("/register")
    page = await browser.post("/register", {"source": "letter", "content": "小区物业经理收受好处费，乱收停车费",
                                            "name": "李四", "phone": "13900001111"})
    number = CASE_NUMBER.search(page.url).group(0)  # type: ignore[union-attr]
    async with desk.svc.rt.sessions() as session, session.begin():
        case = await session.scalar(select(Case).where(Case.number == number))
        case.kind = "检举控告类"
    staff_view = (await browser.get(f"/cases/{number}")).text
    assert "身份保密" in staff_view and "13900001111" not in staff_view and "李四" not in staff_view
    supervisor_view = (await (await desk.browser("supervisor")).get(f"/cases/{number}")).text
    assert "13900001111" in supervisor_view and "李四" in supervisor_view
