"""The console in a real browser (Playwright driving Debian's Chromium), as an officer would use it.

A citizen files a case in chat with a photo and a voice note; the officer logs in with the link
chat gave them, finds the case in the inbox, sees the photo, plays the voice, accepts and replies —
and both notices reach the citizen's phone on the fake platform. The leader's dashboard shows the
figures of chat's `统计`. Another department's officer gets a 404 and no search hit; a POST
without the CSRF token, a used link and an expired link are refused. Screenshots of the inbox,
the case file and the dashboard land in ``artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.services.media import wait_for_downloads
from tests.console.desk import Desk
from tests.console.figures import chat_figures
from tests.staff.office import CASE_NUMBER, get_case

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
VOICE = Path(__file__).parent / "fixtures" / "voice.amr"
PHOTO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "static" / "sample.jpg"
RECOGNITION = "我们小区物业乱收费，电梯坏了三个月也没人修"
REPLY = "已约物业公司周五前修复电梯"
WAIT_MS = 15_000
OFFICE_SCREEN = {"width": 1366, "height": 768}

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def _page(chromium: Any, **options: Any) -> Any:
    context = await chromium.new_context(viewport=options.pop("viewport", OFFICE_SCREEN), locale="zh-CN", **options)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    return page


async def _log_in(page: Any, link: str) -> None:
    await page.goto(link)
    await page.click("#login-button")
    await page.wait_for_selector("#inbox, .card")


async def _file_case_with_photo_and_voice(desk: Desk) -> str:
    # The citizen speaks the complaint (WeChat's Recognition becomes the case text), then sends a photo.
    user = desk.svc.user("o-citizen")
    await user.voice(VOICE.read_bytes(), recognition=RECOGNITION)
    reply = (await user.image(PHOTO.read_bytes())).reply_text or ""
    for _ in range(6):
        match = CASE_NUMBER.search(reply)
        if match:
            await wait_for_downloads(desk.svc.rt)
            return match.group(0)
        reply = await desk.svc.say("o-citizen", "确认" if "确认" in reply and "跳过" not in reply else "跳过")
    raise AssertionError(reply)


async def test_officer_works_a_chat_case_in_the_browser(desk: Desk, chromium: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    number = await _file_case_with_photo_and_voice(desk)
    link = await desk.login_link("staff")
    page = await _page(chromium)
    await _log_in(page, link)
    row = page.locator(f'#inbox tr[data-number="{number}"]')
    await row.wait_for()
    await page.screenshot(path=str(ARTIFACTS / "console-inbox.png"), full_page=True)

    await row.locator("a").first.click()
    await page.wait_for_selector("#timeline")
    assert (await get_case(desk.svc, number)).content == await page.inner_text("#content")
    photo = page.locator("img.photo").first
    await photo.wait_for()
    src = await photo.get_attribute("src")
    fetched = await page.evaluate(f"() => fetch('{src}').then(r => r.status + ' ' + r.headers.get('content-type'))")
    assert fetched == "200 image/jpeg", fetched
    await page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert RECOGNITION in await page.inner_text(".recognition")
    played = await page.locator("audio").first.evaluate("""audio => new Promise((resolve) => {
        audio.addEventListener('error', () => resolve('error ' + (audio.error && audio.error.code)));
        audio.addEventListener('timeupdate', () => { if (audio.currentTime > 0.2) resolve('played'); });
        audio.play().catch(e => resolve('refused ' + e));
        setTimeout(() => resolve('timeout ' + audio.readyState), 8000);
    })""")
    assert played == "played", played
    await page.screenshot(path=str(ARTIFACTS / "console-case.png"), full_page=True)

    # A POST without the CSRF token (as a forged cross-site form would send) is refused.
    status = await page.evaluate(f"""() => fetch('/cases/{number}/accept', {{method: 'POST',
        headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: 'days='}}).then(r => r.status)""")
    assert status == 403

    await page.click("#form-accept button[type=submit]")
    await page.wait_for_selector("#notice")
    assert "已受理" in await page.inner_text("#notice")
    await page.fill("#form-reply textarea[name=text]", REPLY)
    await page.click("#form-reply button[type=submit]")
    await page.wait_for_selector("#notice")
    assert "已回复" in await page.inner_text("#notice")
    await desk.svc.deliver_outbox()
    phone = desk.svc.inbox("o-citizen")
    assert any("已受理" in text and number in text for text in phone), phone
    assert any(REPLY in text for text in phone), phone

    # The same pages on a phone.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{desk.url}/inbox?status=all")
    await page.screenshot(path=str(ARTIFACTS / "console-inbox-phone.png"), full_page=True)

    # The same link again, in another browser: used up.
    again = await _page(chromium)
    await again.goto(link)
    await again.click("#login-button")
    assert "已经使用过" in await again.inner_text("main")

    # Another department: 404 on the URL, nothing in search.
    other = await _page(chromium, viewport={"width": 390, "height": 844}, is_mobile=True)
    await _log_in(other, await desk.login_link("other"))
    response = await other.goto(f"{desk.url}/cases/{number}")
    assert response.status == 404 and "未找到" in await other.inner_text("main")
    await other.goto(f"{desk.url}/inbox?status=all&q={number}")
    assert await other.locator("#inbox tr[data-number]").count() == 0

    # The leader's dashboard shows chat's 统计 for the same month.
    leader = await _page(chromium)
    await _log_in(leader, await desk.login_link("leader"))
    await leader.goto(f"{desk.url}/dashboard?period=2026-11")
    await leader.wait_for_selector("#chart-trend svg")
    shown = {key: (await leader.inner_text(f'[data-figure="{key}"]')).strip()
             for key in ("total", "acknowledgement", "resolution", "satisfaction", "overdue", "repeats", "group_risk")}
    assert shown == chat_figures(await desk.office.say("leader", "统计 2026-11"))
    await leader.screenshot(path=str(ARTIFACTS / "console-dashboard.png"), full_page=True)

    # An expired link (older than 10 minutes) is refused.
    late = await desk.login_link("staff2")
    desk.svc.clock.advance(timedelta(minutes=11))
    await again.goto(late)
    await again.click("#login-button")
    assert "已过期" in await again.inner_text("main")
