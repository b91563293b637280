"""Deadline arithmetic in the office's timezone: calendar days, or working days with holidays.

How many days each deadline has is case policy (``bot.case_policy``); this module only counts them.
A deadline falls at the end (23:59:59) of its local day, so "within 15 days" includes day 15.
Working days follow the State Council calendar (chinese-calendar) with the operator's own
holiday and make-up-workday lists taking precedence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.settings import Settings


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    working_days: bool = False
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Calendar:
        return cls(
            tz=ZoneInfo(settings.timezone),
            working_days=settings.working_days,
            extra_holidays=frozenset(date.fromisoformat(d) for d in settings.extra_holidays),
            extra_workdays=frozenset(date.fromisoformat(d) for d in settings.extra_workdays),
        )

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        try:
            import chinese_calendar

            return bool(chinese_calendar.is_workday(day))
        except (ImportError, NotImplementedError):
            # Outside the package's known years: plain weekdays.
            return day.weekday() < 5

    def add_days(self, start: datetime, days: int) -> datetime:
        """End of the local day ``days`` (calendar or working) days after ``start``."""
        day = start.astimezone(self.tz).date()
        if not self.working_days:
            day = day + timedelta(days=days)
        else:
            remaining = days
            while remaining > 0:
                day += timedelta(days=1)
                if self.is_workday(day):
                    remaining -= 1
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.tz)

    def local_date(self, when: datetime) -> date:
        return when.astimezone(self.tz).date()

    def days_between(self, start: datetime, end: datetime) -> int:
        """Whole local calendar days from ``start`` to ``end`` (negative when end is earlier)."""
        return (self.local_date(end) - self.local_date(start)).days
