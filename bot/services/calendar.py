"""Deadline arithmetic in the office's timezone: calendar days, or working days with holidays.

How many days each deadline has is case policy (``bot.case_policy``); this module only counts them.
A deadline falls at the end (23:59:59) of its local day, so "within 15 days" includes day 15.
Working days follow the State Council calendar (chinese-calendar) and the operator's holidays
file (``bot.holidays``), with the settings' own holiday and make-up-workday lists taking precedence;
in a year neither covers, days count as calendar days and the caller is told (`UNCOVERED_NOTE`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import case_policy as policy
from bot.holidays import HolidaysError, HolidayTable, holiday_table
from bot.settings import Settings

log = logging.getLogger(__name__)
_last_good: dict[str, HolidayTable] = {}


def settings_holidays(settings: Settings) -> HolidayTable:
    """The holiday table of the settings. A holidays file that turns bad while the service runs
    keeps its last good reading (logged); start-up refuses a bad file (`check_holidays`)."""
    key = str(settings.holidays_file or "")
    try:
        table = holiday_table(settings.holidays_file, settings.extra_holidays, settings.extra_workdays)
    except HolidaysError as exc:
        if key in _last_good:
            log.error("holidays file unusable, keeping its last good reading: %s", exc)
            return _last_good[key]
        raise
    _last_good[key] = table
    return table


# What staff and the health check are told when a working-day deadline runs through a year
# nobody has published holidays for: those days are counted as calendar days (the deadline
# comes no later than it should), never silently as weekdays.
UNCOVERED_NOTE = "节假日未配置，按自然日顺延"
# How far ahead a deadline set today can reach: acknowledge, resolve and one extension, in
# working days, with room for weekends and a Spring Festival.
HORIZON_DAYS = 2 * (policy.ACK_DAYS + policy.RESOLVE_DAYS + policy.MAX_EXTENSION_DAYS)


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    working_days: bool = False
    table: HolidayTable = field(default_factory=HolidayTable)

    @classmethod
    def from_settings(cls, settings: Settings) -> Calendar:
        return cls(tz=ZoneInfo(settings.timezone), working_days=settings.working_days,
                   table=settings_holidays(settings))

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; in a year nobody covers, the weekday decides."""
        known = self.table.is_workday(day)
        return day.weekday() < 5 if known is None else known

    def add_days(self, start: datetime, days: int) -> datetime:
        """End of the local day ``days`` (calendar or working) days after ``start``."""
        return self.add_days_noting(start, days)[0]

    def add_days_noting(self, start: datetime, days: int) -> tuple[datetime, list[int]]:
        """`add_days` and the uncovered years the count ran through (only with working days)."""
        day = start.astimezone(self.tz).date()
        uncovered: list[int] = []
        if not self.working_days:
            day = day + timedelta(days=days)
        else:
            remaining = days
            while remaining > 0:
                day += timedelta(days=1)
                known = self.table.is_workday(day)
                if known is None:
                    # No holiday list for this year: every day counts (按自然日顺延).
                    if day.year not in uncovered:
                        uncovered.append(day.year)
                    remaining -= 1
                elif known:
                    remaining -= 1
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.tz), uncovered

    def uncovered_years(self, start: datetime, end: datetime) -> list[int]:
        """Years from ``start`` to ``end`` a working-day count cannot know the holidays of."""
        if not self.working_days:
            return []
        return self.table.uncovered_between(self.local_date(start), self.local_date(end))

    def local_date(self, when: datetime) -> date:
        return when.astimezone(self.tz).date()

    def days_between(self, start: datetime, end: datetime) -> int:
        """Whole local calendar days from ``start`` to ``end`` (negative when end is earlier)."""
        return (self.local_date(end) - self.local_date(start)).days


def deadline_years_uncovered(rt: Any, case: Any) -> list[int]:
    """Years without a holiday list that a case's running working-day deadlines count through."""
    calendar = Calendar.from_settings(rt.settings)
    if not calendar.working_days:
        return []
    years: set[int] = set()
    for due in (case.ack_due_at, case.resolve_due_at):
        if due is not None:
            years.update(calendar.uncovered_years(case.registered_at, due))
    return sorted(years)


def check_holidays(settings: Settings, now: datetime) -> dict[str, Any]:
    """Start-up check: a bad holidays file raises (with its line number); uncovered years within
    reach of a deadline set today are logged as a warning and returned for /healthz."""
    report = horizon_report(settings, now, HORIZON_DAYS)
    if report["working_days"] and report["uncovered_ahead"]:
        log.warning("working-day deadlines may reach %s: no holiday list (chinese-calendar covers %s, "
                    "holidays file %s); those days count as calendar days. %s",
                    report["uncovered_ahead"], report["covered"], settings.holidays_file or "not set",
                    report["detail"])
    return report


def horizon_report(settings: Settings, now: datetime, days: int) -> dict[str, Any]:
    """For start-up and /healthz: the years working-day deadlines set within ``days`` could reach
    that nobody covers, and what is done about them."""
    calendar = Calendar.from_settings(settings)
    end = now + timedelta(days=days)
    uncovered = calendar.uncovered_years(now, end)
    covered = sorted(calendar.table.covered_years)
    out: dict[str, Any] = {"working_days": calendar.working_days,
                           "covered": [covered[0], covered[-1]] if covered else [],
                           "file_years": sorted(calendar.table.file_years), "uncovered_ahead": uncovered}
    if uncovered:
        out["detail"] = f"{UNCOVERED_NOTE}：{'、'.join(str(y) for y in uncovered)} 年"
    return out
