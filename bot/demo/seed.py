"""The demo's small, realistic county: departments, a party secretary, two officers, a supervisor.

People are created and bound through the people service exactly as an admin and a real ``绑定 <code>``
would do it, only without the chat round trip. Departments are taken from the categorisation rules
(what a sample complaint routes to), so the officer in the staff phone really receives the case the
citizen files, whatever department names the operator's rules use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.runtime import Runtime
from bot.services import people as people_service

# What the phones' people write about: the staff phone's officer gets the first kind of case.
SAMPLE_COMPLAINTS = {
    "staff": "我们小区物业乱收费，电梯坏了三个月也没人修",
    "staff2": "工地老板拖欠我们二十多个工人半年的工资",
}
FALLBACK_DEPARTMENTS = {"staff": "县住建局", "staff2": "县人社局", "triage": "县信访局"}
LEADER_DEPARTMENT = "县委"
SUPERVISION_DEPARTMENT = "县委督查室"


@dataclass(frozen=True)
class Member:
    """One person of the demo and the fake openid their phone uses."""

    key: str  # citizen, staff, staff2, leader, supervisor
    label: str  # the role as the page shows it
    name: str
    title: str
    department: str | None
    openid: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Cast:
    members: tuple[Member, ...]

    def __getitem__(self, key: str) -> Member:
        for member in self.members:
            if member.key == key:
                return member
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.members)


def _route(rt: Runtime, text: str) -> str | None:
    try:
        return rt.categoriser.categorise(text).department or None
    except Exception:  # rules still being edited: the demo still starts, with fallback names
        return None


def plan_cast(rt: Runtime) -> Cast:
    staff_dept = _route(rt, SAMPLE_COMPLAINTS["staff"]) or FALLBACK_DEPARTMENTS["staff"]
    staff2_dept = _route(rt, SAMPLE_COMPLAINTS["staff2"]) or FALLBACK_DEPARTMENTS["staff2"]
    if staff2_dept == staff_dept:
        staff2_dept = FALLBACK_DEPARTMENTS["staff2"]
    return Cast((
        Member("citizen", "群众", "陈阿姨", "幸福家园小区居民", None, "oDemoCitizen_0000000000001"),
        Member("staff", "工作人员", "李明", f"{staff_dept}信访专干", staff_dept, "oDemoStaff_00000000000001"),
        Member("staff2", "工作人员", "张芳", f"{staff2_dept}信访专干", staff2_dept, "oDemoStaff_00000000000002"),
        Member("leader", "领导", "王建国", "县委书记", LEADER_DEPARTMENT, "oDemoLeader_0000000000001"),
        Member("supervisor", "督查室", "赵强", "县委督查室主任", SUPERVISION_DEPARTMENT, "oDemoSuperv_0000000000001"),
    ))


ROLES = {"staff": "staff", "staff2": "staff", "leader": "leader", "supervisor": "supervisor"}


async def seed(rt: Runtime) -> Cast:
    """Create departments, people (bound to their fake openids) and the Tuesday reception day."""
    cast = plan_cast(rt)
    triage = _route(rt, "你好") or FALLBACK_DEPARTMENTS["triage"]
    async with rt.sessions() as session, session.begin():
        await people_service.add_department(session, triage, triage=True)
        await people_service.add_department(session, SUPERVISION_DEPARTMENT, supervision=True)
        for dept in (cast["staff"].department, cast["staff2"].department, LEADER_DEPARTMENT):
            assert dept is not None
            await people_service.add_department(session, dept)
        for key, role in ROLES.items():
            member = cast[key]
            _person, code = await people_service.create_person(
                session, rt, name=member.name, role=role, department=member.department, title=member.title)
            result = await people_service.bind(session, rt, member.openid, code)
            if not result.ok:
                raise RuntimeError(f"demo binding of {member.name} failed: {result.reason}")
        await _reception_day(session, rt, cast)
    return cast


async def _reception_day(session: Any, rt: Runtime, cast: Cast) -> None:
    from bot.services import reception

    await reception.define_session(
        session, rt, leader=cast["leader"].name, weekday=1, start="09:00", end="11:30",
        place="县信访局一楼接待大厅", form="现场接访", slots=10, companions=[cast["staff"].name],
        scope="群众反映的各类问题，重点是物业、欠薪和征地拆迁", config_key="demo-tuesday")
