"""Authorization matrix: every staff command (§3.2) × citizen, staff of another department, staff,
leader, supervisor. Allowed ones do their work; the others change nothing, and a citizen is not
told the command exists."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from bot.services import workflow
from bot.services.cases import Actor, file_case
from storage.models import Case, CaseEvent, Person
from tests.harness import Service
from tests.staff.office import COMPLAINT, OTHER_DEPT, Office, build_office, get_case, snapshot

ROLES = ("citizen", "other", "staff", "leader", "supervisor")
STAFF_PLUS = {"staff", "leader", "supervisor"}

Check = Callable[[Service, Case, str], Awaitable[bool]]


async def _event(svc: Service, case: Case, action: str) -> bool:
    async with svc.rt.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(CaseEvent)
                                     .where(CaseEvent.case_id == case.id, CaseEvent.action == action))
        return bool(count)


async def _cases(svc: Service) -> int:
    async with svc.rt.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def _person(session, key: str) -> Person:  # type: ignore[no-untyped-def]
    return await session.scalar(select(Person).where(Person.openid == f"o-{key}"))


async def make_case(office: Office, status: str, *, held_by_leader: bool = False) -> Case:
    """A case of the staff's department in ``status``, made through the services."""
    svc = office.svc
    async with svc.rt.sessions() as session, session.begin():
        decision = svc.rt.categoriser.categorise(COMPLAINT)
        case = await file_case(session, svc.rt, content=COMPLAINT, decision=decision,
                               actor=Actor.citizen("o-citizen2"), openid="o-citizen2")
        staff = await _person(session, "staff")
        if held_by_leader:
            assert (await workflow.take_charge(session, svc.rt, case, await _person(session, "leader"))).ok
        if status in ("accepted", "resolved"):
            assert (await workflow.accept(session, svc.rt, case, staff)).ok
        if status == "resolved":
            assert (await workflow.resolve(session, svc.rt, case, staff, "已处理")).ok
        number = case.number
    return await get_case(svc, number)


# command -> (who may, precondition status, words after the case number, did-it-work check)
MATRIX: dict[str, tuple[set[str], str, str, Check]] = {
    "详情": (STAFF_PLUS, "registered", "", lambda svc, c, reply: _true(COMPLAINT[:10] in reply)),
    "受理": (STAFF_PLUS, "registered", "", lambda svc, c, r: _status(svc, c, "accepted")),
    "不予受理": (STAFF_PLUS, "registered", "属于诉讼程序", lambda svc, c, r: _status(svc, c, "declined")),
    "回复": (STAFF_PLUS, "registered", "正在核实", lambda svc, c, r: _event(svc, c, "reply")),
    "转办": (STAFF_PLUS, "registered", f"{OTHER_DEPT} 职责调整",
             lambda svc, c, r: _event(svc, c, "transfer")),
    "延期": (STAFF_PLUS, "accepted", "10 需现场勘验", lambda svc, c, r: _event(svc, c, "extend")),
    "办结": (STAFF_PLUS, "accepted", "已处理完毕", lambda svc, c, r: _status(svc, c, "resolved")),
    "分类": (STAFF_PLUS, "registered", "停车", lambda svc, c, r: _event(svc, c, "recategorise")),
    "包案": ({"leader"}, "registered", "", lambda svc, c, r: _event(svc, c, "take_charge")),
    "督办": ({"leader", "supervisor"}, "registered", "5 请尽快处理",
             lambda svc, c, r: _event(svc, c, "supervise")),
    "确认办结": ({"leader"}, "accepted+held", "", lambda svc, c, r: _event(svc, c, "confirm_resolve")),
    "重办": ({"supervisor"}, "resolved", "群众反映未落实", lambda svc, c, r: _status(svc, c, "in_progress")),
}


async def _true(value: bool) -> bool:
    return value


async def _status(svc: Service, case: Case, status: str) -> bool:
    return (await get_case(svc, case.number)).status == status


def _assert_no_hint(reply: str, command: str) -> None:
    for hint in ("无权", "用法", "权限", "工作人员命令", "<案>"):
        assert hint not in reply, (command, reply)


async def test_case_commands_work_only_for_allowed_roles(service: Service) -> None:
    # One service for the whole matrix: per-test database set-up dominates on PostgreSQL.
    office = await build_office(service)
    for command, role in itertools.product(MATRIX, ROLES):
        allowed, precondition, rest, check = MATRIX[command]
        status, _, held = precondition.partition("+")
        case = await make_case(office, status, held_by_leader=bool(held))
        before = await snapshot(service)
        reply = await office.say(role, f"{command} {case.number} {rest}".strip())
        if role in allowed:
            assert await check(service, case, reply), (command, role, reply)
        else:
            assert await snapshot(service) == before, (command, role, reply)
            if role == "citizen":
                _assert_no_hint(reply, command)


async def test_todo_lists_only_cases_the_role_may_see(service: Service) -> None:
    office = await build_office(service)
    case = await make_case(office, "registered")
    for role in ROLES:
        before = await snapshot(service)
        reply = await office.say(role, "待办")
        assert (case.number in reply) == (role in STAFF_PLUS), (role, reply)
        assert await snapshot(service) == before
        if role == "citizen":
            _assert_no_hint(reply, "待办")


async def test_walk_in_registration_is_for_bound_staff_only(service: Service) -> None:
    office = await build_office(service)
    for role in ROLES:
        count = await _cases(service)
        reply = await office.say(role, "登记 来访群众反映小区物业乱收费，电话13912345678")
        if role == "citizen":
            assert await _cases(service) == count
            _assert_no_hint(reply, "登记")
        else:
            assert await _cases(service) == count + 1, (role, reply)
            assert "已登记" in reply
    async with service.rt.sessions() as session:
        walk_in = await session.scalar(select(Case).where(Case.source == "reception").order_by(Case.id))
        assert walk_in.phone == "13912345678" and walk_in.owner_id is not None
        assert walk_in.citizen_openid is None


async def test_leader_only_commands_refuse_plain_staff_without_changes(service: Service) -> None:
    office = await build_office(service)
    case = await make_case(office, "registered")
    before = await snapshot(service)
    assert "无权" in await office.say("staff", f"包案 {case.number}")
    assert await snapshot(service) == before
