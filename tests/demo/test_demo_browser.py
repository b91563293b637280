"""The demo page in a real browser (Playwright driving Debian's Chromium): the citizen files a case,
the officer accepts it and replies, and the reply shows up on the citizen's phone.

Skipped only where Chromium or Playwright is not installed locally; CI installs both
(``.ci/system-packages``, the ``dev`` extra). The screenshot lands in ``artifacts/demo.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.demo import RunningDemo, running_demo
from tests.demo import steps
from tests.demo.conftest import MONDAY_0900

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACT = Path(__file__).resolve().parents[2] / "artifacts" / "demo.png"
WAIT_MS = 15_000

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
async def demo_site(tmp_path: Path) -> AsyncIterator[RunningDemo]:
    async with running_demo(port=0, data_dir=tmp_path / "demo", start=MONDAY_0900, ticking=False,
                            pump_interval=0.3) as running:
        yield running
        errors = running.demo.errors
    assert not errors, f"handler raised: {errors}"


@pytest.fixture
async def page(demo_site: RunningDemo) -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                           else shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
            page.set_default_timeout(WAIT_MS)
            await page.goto(demo_site.url)
            await page.wait_for_selector('.phone[data-phone="citizen"] .input')
            yield page
        finally:
            await browser.close()


class PhoneOnPage:
    """One phone of the page, used the way a person would: type and send, or tap a chip."""

    def __init__(self, page: Any, key: str) -> None:
        self.page = page
        self.key = key
        self.root = f'.phone[data-phone="{key}"]'

    async def bot_texts(self) -> list[str]:
        return await self.page.locator(f"{self.root} .msg.bot .bubble").all_inner_texts()

    async def _wait_for_more_bot(self, before: int) -> None:
        await self.page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length > n",
            arg=[f"{self.root} .msg.bot", before])

    async def send(self, text: str) -> str:
        before = len(await self.bot_texts())
        await self.page.fill(f"{self.root} .input", text)
        await self.page.click(f"{self.root} .send")
        await self._wait_for_more_bot(before)
        return (await self.bot_texts())[-1]

    async def tap(self, chip: str) -> str:
        before = len(await self.bot_texts())
        await self.page.click(f"{self.root} .chips button:text-is('{chip}')")
        await self._wait_for_more_bot(before)
        return (await self.bot_texts())[-1]


async def test_citizen_files_staff_accepts_and_replies_and_citizen_sees_the_reply(page: Any) -> None:
    citizen, staff = PhoneOnPage(page, "citizen"), PhoneOnPage(page, "staff")

    question = await citizen.send(steps.COMPLAINT)
    question = await citizen.tap("发照片")
    assert await page.locator(f'{citizen.root} .msg.me img[src="/static/sample.jpg"]').count() == 1
    number = None
    for _ in range(steps.MAX_STEPS):
        number = steps.case_number(question)
        if number:
            break
        kind, text = steps.citizen_answer(question)
        question = await (citizen.tap("发位置") if kind == "location" else citizen.send(text))
    assert number, question

    assert number in await staff.send("待办")
    assert number in await staff.send(f"受理 {number}")
    await staff.send(f"回复 {number} {steps.STAFF_REPLY}")

    reply = page.locator(f"{citizen.root} .msg.bot .bubble", has_text=steps.STAFF_REPLY)
    await reply.first.wait_for()
    assert number in await reply.first.inner_text()
    assert await page.locator(f"{citizen.root} .msg.bot .tag").count() >= 1  # came through the API

    # The time control: jump to 18:00, and the leader's phone gets tomorrow's reception list.
    leader = PhoneOnPage(page, "leader")
    before = len(await leader.bot_texts())
    await page.click(".time-buttons button:text-is('到 18:00')")
    await leader._wait_for_more_bot(before)
    assert "明日接访" in (await leader.bot_texts())[-1]
    assert "18:00" in await page.inner_text("#clock")

    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACT), full_page=True)
