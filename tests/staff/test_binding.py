"""Binding codes: one-time, expiring after 24 hours, rate-limited per openid; chat and QR scene."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.services import people
from storage.models import Person
from tests.harness import Service


async def _new_person(svc: Service, role: str = "staff") -> tuple[int, str]:
    async with svc.rt.sessions() as session, session.begin():
        person, code = await people.create_person(session, svc.rt, name="张三", role=role, department="信访局")
        return person.id, code


async def _openid_of(svc: Service, person_id: int) -> str | None:
    async with svc.rt.sessions() as session:
        return (await session.get(Person, person_id)).openid


async def test_code_binds_once_and_only_its_hash_is_stored(service: Service) -> None:
    pid, code = await _new_person(service)
    async with service.rt.sessions() as session:
        stored = await session.scalar(select(Person.bind_code_hash).where(Person.id == pid))
    assert stored and code not in stored
    assert "绑定成功" in await service.say("o-zhang", f"绑定 {code.lower()}")
    assert await _openid_of(service, pid) == "o-zhang"
    # Used up: a second openid cannot take the account with the same code.
    assert "无效" in await service.say("o-thief", f"绑定 {code}")
    assert await _openid_of(service, pid) == "o-zhang"


async def test_code_expires_after_24_hours(service: Service) -> None:
    pid, code = await _new_person(service)
    service.clock.advance(timedelta(hours=24, seconds=1))
    assert "无效" in await service.say("o-late", f"绑定 {code}")
    assert await _openid_of(service, pid) is None


async def test_five_wrong_tries_per_hour_lock_out_even_the_right_code(service: Service) -> None:
    pid, code = await _new_person(service)
    for _ in range(5):
        assert "无效" in await service.say("o-guess", "绑定 AAAAAAAA")
    assert "次数过多" in await service.say("o-guess", f"绑定 {code}")
    assert await _openid_of(service, pid) is None
    service.clock.advance(timedelta(hours=1, seconds=1))
    assert "绑定成功" in await service.say("o-guess", f"绑定 {code}")


async def test_new_code_replaces_the_old_one(service: Service) -> None:
    pid, old = await _new_person(service)
    async with service.rt.sessions() as session, session.begin():
        new = await people.issue_bind_code(session, service.rt, await session.get(Person, pid))
    assert "无效" in await service.say("o-a", f"绑定 {old}")
    assert "绑定成功" in await service.say("o-a", f"绑定 {new}")


async def test_scanning_a_qr_code_with_the_code_as_scene_binds(service: Service) -> None:
    pid, code = await _new_person(service, "leader")
    result = await service.user("o-scan").scan(code)
    assert "绑定成功" in (result.reply_text or "")
    assert await _openid_of(service, pid) == "o-scan"


async def test_subscribing_through_a_qr_code_binds_and_welcomes(service: Service) -> None:
    pid, code = await _new_person(service, "supervisor")
    result = await service.user("o-new").subscribe(scene=code)
    text = result.reply_text or ""
    assert "绑定成功" in text and "欢迎" in text
    assert await _openid_of(service, pid) == "o-new"


async def test_bound_staff_gets_staff_help(service: Service) -> None:
    _, code = await _new_person(service)
    await service.say("o-s", f"绑定 {code}")
    assert "待办" in await service.say("o-s", "帮助")
