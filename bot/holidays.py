"""Public holidays and make-up workdays: the chinese-calendar package plus the operator's file.

The package knows the State Council calendar only up to its release (2026 for the version we
ship); every later year must come from the operator's file (``XINFANG_HOLIDAYS_FILE``), one date
and kind per line, published each December:

    # 2027 春节
    2027-02-06 休 春节
    2027-02-06~2027-02-12 休        # a range, both ends included
    2027-02-14 班                   # 调休上班 (make-up workday)

Kinds: ``休`` / ``假`` / ``holiday`` and ``班`` / ``补班`` / ``workday``; anything after the kind
is a free note. A year counts as covered when the package knows it or the file has at least one
line in it. Working-day arithmetic asks `HolidayTable.is_workday`, which says so when a day lies
in an uncovered year instead of guessing weekdays.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

HOLIDAY = "holiday"
WORKDAY = "workday"
KIND_WORDS = {
    "休": HOLIDAY, "假": HOLIDAY, "放假": HOLIDAY, "节假日": HOLIDAY, "holiday": HOLIDAY, "off": HOLIDAY,
    "班": WORKDAY, "补班": WORKDAY, "上班": WORKDAY, "调休上班": WORKDAY, "workday": WORKDAY, "work": WORKDAY,
}
MAX_RANGE_DAYS = 31
_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:~|\.\.)\s*(\d{4}-\d{2}-\d{2}))?\s+(\S+)(?:\s+.*)?$")


class HolidaysError(ValueError):
    """The holidays file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class HolidayTable:
    """Every day the operator's file and settings say something about, and the years covered."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    file_years: frozenset[int] = frozenset()
    package_years: frozenset[int] = field(default_factory=lambda: package_years())
    source: str = ""

    @property
    def covered_years(self) -> frozenset[int]:
        return self.package_years | self.file_years

    def covers(self, day: date) -> bool:
        return day.year in self.covered_years

    def is_workday(self, day: date) -> bool | None:
        """True or False when the day is known; None when its year is covered by nobody."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year in self.package_years:
            import chinese_calendar

            return bool(chinese_calendar.is_workday(day))
        if day.year in self.file_years:
            # The file lists the exceptions of a year it covers; every other day is as the week says.
            return day.weekday() < 5
        return None

    def uncovered_between(self, first: date, last: date) -> list[int]:
        """Years from ``first`` to ``last`` (inclusive) that nobody covers."""
        return [y for y in range(first.year, last.year + 1) if y not in self.covered_years]


@functools.cache
def package_years() -> frozenset[int]:
    """Years the installed chinese-calendar package has data for."""
    try:
        from chinese_calendar import constants
    except ImportError:
        return frozenset()
    return frozenset(d.year for d in (*constants.holidays, *constants.workdays))


def parse_holidays(lines: Iterable[str], source: str = "<text>") -> tuple[dict[date, str], set[int]]:
    """{day: kind} and the years named, from the file's lines; a bad line raises with its number."""
    days: dict[date, str] = {}
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip().replace("\u3000", " ")
        if not text:
            continue
        where = f"{source} 第 {number} 行"
        m = _LINE.match(text)
        if m is None:
            raise HolidaysError(f"{where}：格式应为“日期 类型”，如“2027-02-06 休”或“2027-02-14 班”，实际为“{raw.strip()}”")
        try:
            first = date.fromisoformat(m.group(1))
            last = date.fromisoformat(m.group(2)) if m.group(2) else first
        except ValueError:
            raise HolidaysError(f"{where}：日期无效“{raw.strip()}”") from None
        kind = KIND_WORDS.get(m.group(3).lower())
        if kind is None:
            raise HolidaysError(f"{where}：类型“{m.group(3)}”无法识别，可用：休、假、班、补班（或 holiday、workday）")
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            raise HolidaysError(f"{where}：日期范围应从早到晚且不超过 {MAX_RANGE_DAYS} 天")
        day = first
        while day <= last:
            if days.get(day, kind) != kind:
                raise HolidaysError(f"{where}：{day.isoformat()} 已被前面的行标为另一种类型")
            days[day] = kind
            day += timedelta(days=1)
    return days, {d.year for d in days}


_cache: dict[tuple[str, float, int], tuple[dict[date, str], set[int]]] = {}
_lock = threading.Lock()


def read_holidays_file(path: str | Path) -> tuple[dict[date, str], set[int]]:
    """Parse the operator's file, cached by path and modification time (deadlines ask often)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise HolidaysError(f"{p}：无法读取节假日文件（{exc.strerror or exc}）") from None
    key = (str(p.resolve()), st.st_mtime, st.st_size)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise HolidaysError(f"{p}：无法读取节假日文件（{exc}）") from None
    parsed = parse_holidays(text.splitlines(), str(p))
    with _lock:
        _cache[key] = parsed
    return parsed


def holiday_table(file: str | Path | None = None, extra_holidays: Iterable[str] = (),
                  extra_workdays: Iterable[str] = ()) -> HolidayTable:
    """The table from the operator's file (if any) and the settings' extra dates (which win)."""
    days: dict[date, str] = {}
    years: set[int] = set()
    if file:
        days, years = read_holidays_file(file)
    holidays = {d for d, k in days.items() if k == HOLIDAY}
    workdays = {d for d, k in days.items() if k == WORKDAY}
    extra_h = {date.fromisoformat(d) for d in extra_holidays}
    extra_w = {date.fromisoformat(d) for d in extra_workdays}
    holidays = (holidays - extra_w) | extra_h
    workdays = (workdays - extra_h) | extra_w
    return HolidayTable(holidays=frozenset(holidays), workdays=frozenset(workdays),
                        file_years=frozenset(years), source=str(file or ""))
