"""Working-day deadlines past the calendar package's last year: reported (start-up log, /healthz,
staff 详情) and counted as calendar days, until an operator's holidays file covers the year."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.holidays import HolidaysError
from tests.harness import Service, running_service
from tests.staff.office import Office, build_office, file_complaint, get_case

# Monday 2026-12-21 09:00 in Asia/Shanghai: a 15-working-day deadline runs into January 2027.
MONDAY = datetime(2026, 12, 21, 1, 0, tzinfo=UTC)
NOTE = "节假日未配置，按自然日顺延"


async def _health(svc: Service) -> dict:
    async with aiohttp.ClientSession() as http, http.get(svc.url.replace("/wechat", "/healthz")) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_an_uncovered_year_is_reported_and_a_holidays_file_fixes_it(db_url, clock, tmp_path, caplog):
    clock.set(MONDAY)
    with caplog.at_level(logging.WARNING, logger="bot.services.calendar"):
        async with running_service(db_url, clock, tmp_path, working_days=True) as svc:
            assert any("2027" in r.getMessage() and NOTE in r.getMessage() for r in caplog.records)
            health = await _health(svc)
            assert health["status"] == "ok"
            assert health["holidays"]["uncovered_ahead"] == [2027] and NOTE in health["holidays"]["detail"]
            office = await build_office(svc)
            number = await file_complaint(office)
            case = await get_case(svc, number)
            # 8 working days left in December, then 7 calendar days of January (no holiday list).
            assert case.ack_due_at.astimezone(svc.rt.tz).date().isoformat() == "2027-01-07"
            detail = await office.say("staff", f"详情 {number}")
            assert f"2027 年{NOTE}" in detail, detail

    holidays = tmp_path / "holidays.txt"
    holidays.write_text("# 2027 元旦\n2027-01-01 休 元旦\n", encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.services.calendar"):
        async with running_service(db_url, clock, tmp_path, working_days=True, holidays_file=holidays) as svc:
            assert not [r for r in caplog.records if NOTE in r.getMessage()]
            health = await _health(svc)
            assert health["holidays"]["uncovered_ahead"] == [] and health["holidays"]["file_years"] == [2027]
            office = Office(svc, office.dept, office.openids)  # same database: the people are bound
            number = await file_complaint(office)
            case = await get_case(svc, number)
            # 元旦 (Friday) and the weekend skipped: 8 in December, 4–8 and 11–12 January.
            assert case.ack_due_at.astimezone(svc.rt.tz).date().isoformat() == "2027-01-12"
            detail = await office.say("staff", f"详情 {number}")
            assert NOTE not in detail, detail


async def test_a_bad_holidays_file_stops_start_up_with_its_line_number(db_url, clock, tmp_path):
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("2027-01-01 休\n2027-01-32 休\n", encoding="utf-8")
    with pytest.raises(HolidaysError, match="第 2 行"):
        async with running_service(db_url, clock, tmp_path, working_days=True, holidays_file=holidays):
            pass
