"""Numbers typed in commands (issue #20 item 5): non-ASCII digits, circled numbers and very long
digit strings get a clear answer, never a handler error (the harness fails a test on any)."""

from __future__ import annotations

from tests.harness import Service
from tests.staff.office import build_office, file_complaint

ETHIOPIC_ONE = "\u1369"  # ፩: str.isdigit() is True, int() refuses it
ARABIC_THREE = "\u0663"  # ٣: a decimal digit, means 3
CIRCLED_ONE = "\u2460"  # ①
HUGE = "9" * 5000  # int() refuses more than 4,300 digits


async def test_odd_numbers_in_citizen_commands_get_usage_answers(service: Service) -> None:
    assert "预约" in await service.say("o-odd", f"预约 {ETHIOPIC_ONE}")
    assert "预约" in await service.say("o-odd", f"预约 {HUGE}")
    # ٣ is the decimal digit 3: read as 3 (there is no third session), not an error.
    assert "3" in await service.say("o-odd", f"预约 {ARABIC_THREE}")
    assert await service.say("o-odd", f"补充 {CIRCLED_ONE}")
    assert await service.say("o-odd", f"补充 {HUGE}")
    assert await service.say("o-odd", f"评价 {HUGE} 1")


async def test_odd_numbers_in_staff_commands_get_usage_answers(service: Service) -> None:
    office = await build_office(service)
    number = await file_complaint(office)
    await office.say("staff", "待办")
    for text in (f"详情 {CIRCLED_ONE}", f"详情 {ETHIOPIC_ONE}", f"详情 {HUGE}", f"受理 1 {ETHIOPIC_ONE}",
                 f"受理 1 {HUGE}", f"延期 1 {CIRCLED_ONE} 理由", f"延期 1 {HUGE} 理由",
                 f"受理 {number} {CIRCLED_ONE}"):
        assert await office.say("staff", text), text
    for text in (f"督办 {number} {ETHIOPIC_ONE} 请加快", f"督办 {number} {HUGE} 请加快",
                 f"包案 {CIRCLED_ONE}", f"统计 {HUGE}"):
        assert await office.say("leader", text), text
    # A full-width or Arabic-Indic index means the same as its ASCII digits.
    assert number in await office.say("staff", "详情 \uff11")
    assert number in await office.say("staff", f"详情 {chr(0x661)}")
