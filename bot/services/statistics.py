"""Statistics for a period: the figures of the summary report (检查总结) and the leaders' `统计` in chat.

A period is a range of local (Asia/Shanghai) days; "this month" and "last month" are calendar months.
The figures come from aggregate queries (``storage.repositories.case_figures``); this module only
combines them, compares with the previous period of the same length and formats the chat version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import case_policy as policy
from bot.case_policy import STATUS_LABELS
from bot.runtime import Runtime
from storage.models import Case, Person
from storage.repositories import case_figures as repo

# The figures' status sets, from the case policy.
STATUS_SETS = repo.StatusSets(open=policy.OPEN_STATUSES, resolved=(policy.RESOLVED, policy.CLOSED),
                              clocks=policy.DEADLINE_CLOCKS)

SATISFACTION_LABELS = {1: "满意", 2: "基本满意", 3: "不满意"}
TREND_MONTHS = 6

_RANGE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})\s*[~～至到\-—]+\s*(\d{4}-\d{1,2}-\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """Local days ``first``..``last`` inclusive; ``start``/``end`` are the half-open UTC bounds."""

    first: date
    last: date
    tz: ZoneInfo
    label: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self.last == _month_last(self.first)

    def previous(self) -> Period:
        """The period just before: the previous calendar month for a month, else the same length."""
        if self.is_month:
            prev_last = self.first - timedelta(days=1)
            return month_period(prev_last.year, prev_last.month, self.tz)
        last = self.first - timedelta(days=1)
        first = last - timedelta(days=self.days - 1)
        return range_period(first, last, self.tz)


def _month_last(day: date) -> date:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def month_period(year: int, month: int, tz: ZoneInfo) -> Period:
    first = date(year, month, 1)
    return Period(first, _month_last(first), tz, f"{year}年{month}月")


def range_period(first: date, last: date, tz: ZoneInfo) -> Period:
    return Period(first, last, tz, f"{first.isoformat()}至{last.isoformat()}")


def parse_period(text: str, rt: Runtime) -> Period | None:
    """``本月`` (also empty), ``上月``, ``YYYY-MM`` or ``YYYY-MM-DD~YYYY-MM-DD``; None if not understood."""
    text = (text or "").strip()
    today = rt.local_now().date()
    if text in ("", "本月", "这个月"):
        return month_period(today.year, today.month, rt.tz)
    if text in ("上月", "上个月"):
        prev = today.replace(day=1) - timedelta(days=1)
        return month_period(prev.year, prev.month, rt.tz)
    m = _MONTH.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        return month_period(year, month, rt.tz) if 1 <= month <= 12 else None
    m = _RANGE.match(text)
    if m:
        try:
            first, last = (date.fromisoformat(_pad(g)) for g in m.groups())
        except ValueError:
            return None
        return range_period(first, last, rt.tz) if first <= last else None
    return None


def _pad(day: str) -> str:
    y, mo, d = day.split("-")
    return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"


def trend_months(period: Period, count: int = TREND_MONTHS) -> list[Period]:
    """The ``count`` calendar months ending with the one holding the period's last day, oldest first."""
    months = [month_period(period.last.year, period.last.month, period.tz)]
    while len(months) < count:
        months.insert(0, months[0].previous())
    return months


@dataclass(frozen=True)
class ReceptionFigures:
    sessions: int = 0
    visitors: int = 0
    # False while the reception tables do not exist (the reception module is not installed yet).
    available: bool = False


@dataclass
class Statistics:
    period: Period
    as_of: datetime
    total: int
    previous_total: int
    by_status: list[tuple[str, int]]
    by_group: list[tuple[str, int]]
    by_category: list[tuple[str, str, int]]
    by_department: list[repo.DepartmentFigures]
    by_kind: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    acknowledgement: repo.Rate
    resolution: repo.Rate
    satisfaction: dict[int, int]
    repeats: int
    group_risk: list[Case]
    leaders: list[repo.LeaderFigures]
    reception: ReceptionFigures
    trend: list[tuple[str, int]] = field(default_factory=list)

    @property
    def change(self) -> int:
        return self.total - self.previous_total

    @property
    def change_rate(self) -> float | None:
        return self.change / self.previous_total if self.previous_total else None

    @property
    def rated(self) -> int:
        return sum(self.satisfaction.values())

    @property
    def satisfaction_rate(self) -> float | None:
        """满意 + 基本满意 over all ratings given in the period."""
        good = self.satisfaction.get(1, 0) + self.satisfaction.get(2, 0)
        return good / self.rated if self.rated else None

    @property
    def overdue_open(self) -> int:
        return sum(d.overdue for d in self.by_department)


async def collect(session: AsyncSession, rt: Runtime, period: Period) -> Statistics:
    start, end, as_of = period.start, period.end, rt.now()
    prev = period.previous()
    months = trend_months(period)
    bounds = [m.start for m in months] + [months[-1].end]
    trend_counts = await repo.bucket_counts(session, bounds)
    return Statistics(
        period=period,
        as_of=as_of,
        total=await repo.count_registered(session, start, end),
        previous_total=await repo.count_registered(session, prev.start, prev.end),
        by_status=await repo.counts_by(session, "status", start, end),
        by_group=await repo.counts_by(session, "group", start, end),
        by_category=await repo.category_counts(session, start, end),
        by_department=await repo.department_figures(session, start, end, as_of, sets=STATUS_SETS),
        by_kind=await repo.counts_by(session, "kind", start, end),
        by_source=await repo.counts_by(session, "source", start, end),
        acknowledgement=await repo.acknowledgement_rate(session, start, end, as_of),
        resolution=await repo.resolution_rate(session, start, end, as_of, sets=STATUS_SETS),
        satisfaction=await repo.satisfaction_counts(session, start, end),
        repeats=await repo.repeat_count(session, start, end),
        group_risk=await repo.group_risk_cases(session, start, end),
        leaders=await repo.leader_figures(session, start, end, sets=STATUS_SETS),
        reception=await reception_figures(session, start, end, as_of),
        trend=[(f"{m.first.year}-{m.first.month:02d}", n) for m, n in zip(months, trend_counts, strict=True)],
    )


async def reception_figures(
    session: AsyncSession, start: datetime, end: datetime, as_of: datetime,
) -> ReceptionFigures:
    """Sessions held and visitors received in the period (up to ``as_of``), from the reception tables.

    Recurring sessions only get an occurrence row once somebody books, so held sessions are the
    session rules expanded over the period's days, less cancelled occurrences. A database without
    the reception tables (one made for a single test) reports zeros with ``available=False``.
    """
    from storage.models.reception import ReceptionBooking, ReceptionOccurrence, ReceptionSession

    conn = await session.connection()
    tables = ("reception_sessions", "reception_occurrences", "reception_bookings")
    if not await conn.run_sync(lambda c: all(inspect(c).has_table(t) for t in tables)):
        return ReceptionFigures()
    tz = as_of.tzinfo if start.tzinfo is None else start.tzinfo
    first = start.astimezone(tz).date()
    # A session counts once its day has come; the rest of the period is still ahead.
    last = min(end.astimezone(tz).date() - timedelta(days=1), as_of.astimezone(tz).date())
    if last < first:
        return ReceptionFigures(0, 0, True)
    rules = (await session.scalars(select(ReceptionSession).where(ReceptionSession.cancelled.is_(False)))).unique()
    cancelled = set((await session.execute(
        select(ReceptionOccurrence.session_id, ReceptionOccurrence.day)
        .where(ReceptionOccurrence.cancelled.is_(True), ReceptionOccurrence.day >= first,
               ReceptionOccurrence.day <= last))).all())
    held = 0
    for rule in rules:
        for day in _rule_days(rule, first, last, rule.created_at.astimezone(tz).date()):
            if (rule.id, day) not in cancelled:
                held += 1
    visitors = await session.scalar(
        select(func.coalesce(func.sum(ReceptionBooking.people), 0))
        .join(ReceptionOccurrence, ReceptionOccurrence.id == ReceptionBooking.occurrence_id)
        .where(ReceptionBooking.status.in_(("booked", "attended")), ReceptionOccurrence.cancelled.is_(False),
               ReceptionBooking.day >= first, ReceptionBooking.day <= last))
    return ReceptionFigures(held, int(visitors or 0), True)


def _rule_days(rule, first: date, last: date, created: date) -> list[date]:  # type: ignore[no-untyped-def]
    if rule.on_date is not None:
        return [rule.on_date] if first <= rule.on_date <= last else []
    if rule.weekday is None:
        return []
    # A recurring rule did not hold sessions before it was set up.
    lo = max(first, rule.valid_from or first, created)
    hi = min(last, rule.valid_until or last)
    day = lo + timedelta(days=(rule.weekday - lo.weekday()) % 7)
    days = []
    while day <= hi:
        days.append(day)
        day += timedelta(days=7)
    return days


# ---- chat version ------------------------------------------------------------------------------------

def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def change_text(stats: Statistics) -> str:
    if stats.previous_total == 0:
        return f"上期 {stats.previous_total} 件"
    direction = "下降" if stats.change < 0 else ("上升" if stats.change > 0 else "持平")
    if stats.change == 0:
        return f"较上期持平（上期 {stats.previous_total} 件）"
    return f"较上期{direction} {abs(stats.change)} 件（{percent(abs(stats.change_rate or 0))}），上期 {stats.previous_total} 件"


async def short_summary(session: AsyncSession, rt: Runtime, person: Person | None, period: str) -> str:
    """The `统计` reply: a few lines a leader reads on a phone. ``period`` as ``parse_period`` takes it."""
    parsed = parse_period(period, rt)
    if parsed is None:
        raise ValueError(f"unparsed period {period!r}; the handler checks it first")
    stats = await collect(session, rt, parsed)
    lines = [f"【{parsed.label} 信访统计】", f"信访总量 {stats.total} 件，{change_text(stats)}。"]
    if stats.by_status:
        lines.append("状态：" + "，".join(f"{STATUS_LABELS.get(s, s)} {n}" for s, n in stats.by_status))
    if stats.by_group:
        lines.append("分类：" + "，".join(f"{g} {n}" for g, n in stats.by_group[:6]))
    if stats.by_department:
        lines.append("承办单位：" + "，".join(f"{d.department} {d.registered}" for d in stats.by_department[:6]))
    ack, res = stats.acknowledgement, stats.resolution
    lines.append(f"按期受理率 {percent(ack.rate)}（{ack.on_time}/{ack.due}）；"
                 f"按期办结率 {percent(res.rate)}（{res.on_time}/{res.due}）")
    lines.append(f"满意率 {percent(stats.satisfaction_rate)}（评价 {stats.rated} 件）；当前超期 {stats.overdue_open} 件")
    lines.append(f"重信重访 {stats.repeats} 件；群体性苗头 {len(stats.group_risk)} 件")
    if stats.reception.available:
        lines.append(f"接访 {stats.reception.sessions} 场，接待群众 {stats.reception.visitors} 人次")
    if person is not None and person.role == "leader":
        mine = next((lf for lf in stats.leaders if lf.leader_id == person.id), None)
        if mine is not None:
            lines.append(f"您包案 {mine.cases} 件：已办结 {mine.resolved}，在办 {mine.open}")
    return "\n".join(lines)
