"""A realistic month of cases driven through the case services, with what should come out of it.

October and November 2026 (up to "now", Tue 2026-11-24 09:00 Shanghai): cases filed with
``file_case`` and worked through the staff workflow (受理, 回复, 不予受理, 包案, 确认办结, 办结) and the
citizen's rating (``bot.services.rating``, where 不满意 reopens the case) at the times a plan says,
each step in its own transaction as the webhook would run it. Alongside, the plan keeps its own
expectations computed here from the plan alone (deadline = end of the local day N days later), so
the tests compare the ledger and the report against values that did not come from the code under test.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import rating, workflow
from bot.services.cases import Actor, file_case, record
from nlp import Decision
from storage.models import Case, Person
from storage.repositories.departments import department_named

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)

# (category, group, department, kind, sample text)
CATEGORIES = [
    ("物业管理", "城乡建设", "住建局", "申诉求决类", "小区物业不作为，电梯坏了一个月没人修"),
    ("停车", "交通运输", "交通局", "申诉求决类", "小区门口乱停车堵住消防通道"),
    ("劳动欠薪/企业改制", "劳动和社会保障", "人社局", "申诉求决类", "工地老板拖欠工资三个月"),
    ("环境保护", "环境保护", "生态环境局", "检举控告类", "化工厂夜间偷排废水，河水发黑"),
    ("教育", "教育文体", "教育局", "建议意见类", "建议学校延长课后服务时间"),
    ("医疗卫生", "卫生计生", "卫健委", "申诉求决类", "医院收费不透明，多收检查费"),
    ("征地拆迁", "城乡建设", "自然资源局", "申诉求决类", "拆迁款迟迟不到位"),
]
DEPARTMENTS = sorted({c[2] for c in CATEGORIES})
# Leaders take charge (包案) of cases in the departments they oversee.
LEADER_OF = {"住建局": "张书记", "人社局": "李市长"}


def end_of_day(start: datetime, days: int) -> datetime:
    day = start.astimezone(TZ).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=TZ)


@dataclass
class Planned:
    """One case of the plan and the facts the tests expect about it."""

    key: int
    registered: datetime
    category: tuple[str, str, str, str, str]
    openid: str
    phone: str | None
    urgent: tuple[str, ...] = ()
    repeat_of: int | None = None  # key of the earlier case
    ack_after: timedelta | None = None
    decline: bool = False
    commit_days: int | None = None
    resolve_after: timedelta | None = None  # after acceptance
    rating: int | None = None
    rate_after: timedelta = timedelta(days=1)
    leader: str | None = None
    reply: bool = False  # a first reply moves an accepted case to 办理中
    # Filled while running.
    number: str = ""
    case_id: int = 0

    @property
    def ack_due(self) -> datetime:
        return end_of_day(self.registered, 15)

    @property
    def ack_at(self) -> datetime | None:
        if self.ack_after is None or self.registered + self.ack_after > NOW:
            return None
        return self.registered + self.ack_after

    @property
    def resolved_at(self) -> datetime | None:
        """When staff resolved it (the column keeps this even after a 不满意 reopen)."""
        if self.ack_at is None or self.decline or self.resolve_after is None:
            return None
        at = self.ack_at + self.resolve_after
        return at if at <= NOW else None

    @property
    def rated_at(self) -> datetime | None:
        if self.resolved_at is None or self.rating is None:
            return None
        at = self.resolved_at + self.rate_after
        return at if at <= NOW else None

    @property
    def reopened(self) -> bool:
        return self.rated_at is not None and self.rating == 3

    @property
    def resolve_due(self) -> datetime | None:
        if self.ack_at is None or self.decline:
            return None
        if self.reopened:
            return end_of_day(self.rated_at, 30)  # type: ignore[arg-type]  # 复查 within 30 days
        return end_of_day(self.ack_at, self.commit_days or 60)

    @property
    def status(self) -> str:
        if self.ack_at is None:
            return "registered"
        if self.decline:
            return "declined"
        if self.reopened:
            return "in_progress"
        if self.rated_at is not None:
            return "closed"
        if self.resolved_at is not None:
            return "resolved"
        return "in_progress" if self.reply else "accepted"

    @property
    def owner(self) -> str:
        return f"{self.category[2]}干事" if self.ack_at is not None and not self.decline else ""


@dataclass
class Scenario:
    plan: list[Planned]
    leaders: dict[str, int] = field(default_factory=dict)

    def in_range(self, first: date, last: date) -> list[Planned]:
        return [p for p in self.plan if first <= p.registered.astimezone(TZ).date() <= last]


def make_plan(seed: int = 7) -> list[Planned]:
    rnd = random.Random(seed)
    plan: list[Planned] = []
    key = 0
    # Fewer cases in November than in October: the trend the office hopes for (信访总量 should fall).
    for month_first, count, last_day in ((date(2026, 10, 1), 22, 31), (date(2026, 11, 1), 18, 23)):
        for _ in range(count):
            key += 1
            day = month_first + timedelta(days=rnd.randrange(last_day))
            at = datetime.combine(day, time(rnd.randrange(8, 18), rnd.randrange(60)), tzinfo=TZ)
            cat = CATEGORIES[rnd.randrange(len(CATEGORIES))]
            p = Planned(key=key, registered=at, category=cat, openid=f"o-citizen-{rnd.randrange(25):02d}",
                        phone=f"138{rnd.randrange(10**8):08d}" if rnd.random() < 0.6 else None)
            roll = rnd.random()
            if roll < 0.08:
                pass  # never acknowledged (some of these run past the 15 days)
            elif roll < 0.16:
                p.ack_after, p.decline = timedelta(days=rnd.randrange(1, 20), hours=2), True
            else:
                p.ack_after = timedelta(days=rnd.choice([0, 1, 2, 3, 5, 8, 14, 16, 18]), hours=3)
                if rnd.random() < 0.35:
                    p.commit_days = rnd.choice([5, 10, 20])
                if rnd.random() < 0.8:
                    p.resolve_after = timedelta(days=rnd.randrange(1, 30), hours=1)
                    if rnd.random() < 0.8:
                        p.rating = rnd.choice([1, 1, 1, 2, 2, 3])
            if rnd.random() < 0.12:
                p.urgent = (rnd.choice(["集体上访", "堵路", "联名"]),)
            p.reply = rnd.random() < 0.5
            if cat[2] in LEADER_OF and rnd.random() < 0.7:
                p.leader = LEADER_OF[cat[2]]
            plan.append(p)
    plan.sort(key=lambda p: p.registered)
    # Repeats: a later case of a citizen who already has one links to the earlier case.
    seen: dict[str, Planned] = {}
    for p in plan:
        if p.openid in seen and p.key % 3 == 0:
            p.repeat_of = seen[p.openid].key
        seen.setdefault(p.openid, p)
    return plan


async def run_plan(rt: Runtime, clock: FakeClock, plan: list[Planned]) -> Scenario:
    scenario = Scenario(plan)
    by_key = {p.key: p for p in plan}
    staff_ids: dict[str, int] = {}
    async with rt.sessions() as session:
        for name in DEPARTMENTS:
            dept = await department_named(session, name)
            assert dept is not None
            staff = Person(name=f"{name}干事", role="staff", department_id=dept.id, openid=f"o-staff-{dept.id}",
                           created_at=clock.now())
            session.add(staff)
            await session.flush()
            staff_ids[name] = staff.id
        for name in sorted(set(LEADER_OF.values())):
            dept = await department_named(session, next(d for d, n in LEADER_OF.items() if n == name))
            leader = Person(name=name, role="leader", title=name[1:], openid=f"o-leader-{name}",
                            department_id=dept.id if dept else None, created_at=clock.now())
            session.add(leader)
            await session.flush()
            scenario.leaders[name] = leader.id
        await session.commit()

    # Every step of every case, in time order: the clock only moves forward.
    steps: list[tuple[datetime, int, str]] = []
    for p in plan:
        steps.append((p.registered, p.key, "file"))
        if p.ack_at is not None:
            steps.append((p.ack_at, p.key, "decline" if p.decline else "accept"))
            if p.reply and not p.decline:
                steps.append((p.ack_at + timedelta(hours=1), p.key, "reply"))
        if p.resolved_at is not None:
            steps.append((p.resolved_at, p.key, "resolve"))
        if p.rated_at is not None:
            steps.append((p.rated_at, p.key, "rate"))
    steps.sort(key=lambda s: (s[0], s[1]))

    for at, key, step in steps:
        clock.set(at.astimezone(UTC))
        p = by_key[key]
        # One transaction per step, as one inbound message would be.
        async with rt.sessions() as session:
            if step == "file":
                await _file(session, rt, p, by_key, scenario)
            else:
                case = await session.get(Case, p.case_id)
                assert case is not None
                staff = await session.get(Person, staff_ids[p.category[2]])
                assert staff is not None
                outcome = await _work(session, rt, case, staff, p, step, scenario)
                assert outcome, (step, p.number, outcome)
            await session.commit()
    clock.set(NOW.astimezone(UTC))
    return scenario


async def _file(session, rt: Runtime, p: Planned, by_key: dict[int, Planned], scenario: Scenario) -> None:  # type: ignore[no-untyped-def]
    category, group, dept, kind, text = p.category
    decision = Decision(category=category, group=group, department=dept, score=3.0,
                        keywords=((category, 2.0),), urgent=p.urgent, kind=kind, deadlines={})
    case = await file_case(session, rt, content=f"{text}。联系人电话见登记。", decision=decision,
                           actor=Actor.citizen(p.openid), openid=p.openid, phone=p.phone)
    p.number, p.case_id = case.number, case.id
    if p.repeat_of is not None:
        # What the citizen report flow does on a similar earlier case: link and flag, not merge.
        case.repeat_of_id = by_key[p.repeat_of].case_id
        await record(session, rt, case, action="link_repeat", actor=Actor.system(),
                     data={"repeat_of": by_key[p.repeat_of].number}, public=False)
    if p.leader is not None:
        leader = await session.get(Person, scenario.leaders[p.leader])
        outcome = await workflow.take_charge(session, rt, case, leader)
        assert outcome.ok, outcome


async def _work(session, rt: Runtime, case: Case, staff: Person, p: Planned, step: str,  # type: ignore[no-untyped-def]
                scenario: Scenario) -> bool:
    if step == "accept":
        return (await workflow.accept(session, rt, case, staff, p.commit_days)).ok
    if step == "decline":
        return (await workflow.decline(session, rt, case, staff, "属于诉讼程序，请向法院起诉")).ok
    if step == "reply":
        return (await workflow.reply(session, rt, case, staff, "已联系现场核实，正在协调。")).ok
    if step == "resolve":
        if case.leader_id is not None:
            leader = await session.get(Person, case.leader_id)
            assert (await workflow.confirm_resolve(session, rt, case, leader)).ok
        return (await workflow.resolve(session, rt, case, staff, "已协调解决，回访电话 13900001111")).ok
    if step == "rate":
        return (await rating.rate(session, rt, case, p.rating or 1, None, p.openid)).ok
    raise AssertionError(step)
