"""The console's case file and inbox mask a 检举控告类 reporter's identity as chat's 详情 does
(issue #20 item 3): the department's staff read the matter, the supervisor reads it all."""

from __future__ import annotations

from tests.console.desk import Desk
from tests.staff.office import file_complaint

REPORT = ("实名举报村会计挪用公款打牌，我叫张三，电话13812345678。"
          "本人身份证110101199003071234，家住城关镇幸福路8号3单元。")
SECRETS = ("13812345678", "138123", "110101199003071234", "张三", "幸福路")


async def test_console_masks_whistleblower_for_department_staff_not_for_supervisor(desk: Desk) -> None:
    number = await file_complaint(desk.office, "o-whistle", text=REPORT)
    moved = await desk.office.say("supervisor", f"转办 {number} {desk.office.dept} 由本单位核查")
    assert number in moved, moved
    staff = await desk.browser("staff")
    page = await staff.get(f"/cases/{number}")
    assert page.status == 200 and "挪用公款" in page.text and "身份保密" in page.text
    assert [s for s in SECRETS if s in page.text] == [], page.text
    inbox = await staff.get("/")
    assert number in inbox.text and [s for s in SECRETS if s in inbox.text] == []
    supervisor = await desk.browser("supervisor")
    full = await supervisor.get(f"/cases/{number}")
    assert "13812345678" in full.text and "张三" in full.text and "幸福路8号" in full.text


async def test_inbox_search_does_not_find_an_informant_by_identity(desk: Desk) -> None:
    number = await file_complaint(desk.office, "o-whistle2", text=REPORT)
    moved = await desk.office.say("supervisor", f"转办 {number} {desk.office.dept} 由本单位核查")
    assert number in moved, moved
    staff = await desk.browser("staff")
    # The page shows the case masked; a search for the phone, the ID, the name or the address must
    # not single it out either. Its number still finds it; the supervisor's search finds it all.
    for secret in ("13812345678", "110101199003071234", "张三", "幸福路"):
        found = await staff.get("/inbox", params={"q": secret})
        assert found.status == 200 and number not in found.text, secret
    by_number = await staff.get("/inbox", params={"q": number})
    assert number in by_number.text
    supervisor = await desk.browser("supervisor")
    assert number in (await supervisor.get("/inbox", params={"q": "13812345678"})).text


async def test_linked_case_titles_are_masked_too(desk: Desk) -> None:
    first = await file_complaint(desk.office, "o-whistle3", text=REPORT)
    again = await file_complaint(desk.office, "o-whistle3", text=REPORT)
    assert first != again
    for number in (first, again):
        moved = await desk.office.say("supervisor", f"转办 {number} {desk.office.dept} 由本单位核查")
        assert number in moved, moved
    staff = await desk.browser("staff")
    page = await staff.get(f"/cases/{again}")
    assert page.status == 200 and first in page.text, "the repeat lists the case it repeats"
    assert [s for s in SECRETS if s in page.text] == [], page.text
