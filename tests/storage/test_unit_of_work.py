"""The webhook's unit of work: driver-SQL bookkeeping and a lazily opened ORM session, one transaction."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from storage.engine import call_after_commit, make_engine, make_session_factory
from storage.models import Conversation, Department, Follower, InboundMessage
from storage.repositories.inbound import ConversationState, LogEntry
from storage.unit_of_work import UnitFactory

WINDOW = timedelta(hours=48)


def _entry(key: str, openid: str, clock: FakeClock) -> LogEntry:
    now = clock.now()
    return LogEntry(dedupe_key=key, openid=openid, msg_type="text", event=None, content="路灯坏了三天",
                    received_at=now, reply_xml="<xml/>", finished_at=now)


async def test_units_commit_whatever_the_session_did(db_url: str, clock: FakeClock) -> None:
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    units = UnitFactory(sessions)
    try:
        # 1: no session at all; 2: a session asked for but never used; 3: a session that writes.
        for n, use in enumerate(("none", "untouched", "writes")):
            async with units.begin() as unit:
                arrival = await unit.store.arrive(f"o-{n}", clock.now(), opens_window=True, subscription="",
                                                  window=WINDOW)
                assert arrival.person_id is None and arrival.window_was_closed
                if use != "none":
                    session = unit.session
                    if use == "writes":
                        session.add(Department(name=f"部门{n}"))
                conv = ConversationState(f"o-{n}", "report_place", {"content": "路灯坏了三天"}, [], clock.now(), True)
                await unit.store.finish(conv, _entry(f"m:{n}", f"o-{n}", clock))
        # A failing unit leaves nothing behind, and the next one still works.
        with pytest.raises(RuntimeError):
            async with units.begin() as unit:
                await unit.store.arrive("o-x", clock.now(), opens_window=True, subscription="", window=WINDOW)
                unit.session.add(Department(name="不该留下"))
                await unit.session.flush()
                raise RuntimeError("handler bug")
        async with units.begin() as unit:
            again = await unit.store.arrive("o-0", clock.now() + timedelta(hours=1), opens_window=True,
                                            subscription="", window=WINDOW)
            assert not again.window_was_closed
            assert again.conversation.state == "report_place"
            assert again.conversation.data == {"content": "路灯坏了三天"}
            await unit.store.finish(None, _entry("m:again", "o-0", clock))
    finally:
        await units.close()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboundMessage)) == 4
        assert set(await session.scalars(select(Follower.openid))) == {"o-0", "o-1", "o-2"}
        assert set(await session.scalars(select(Department.name))) == {"部门2"}
        conv = await session.get(Conversation, "o-1")
        assert conv is not None and conv.state == "report_place" and conv.updated_at == clock.now()
    await engine.dispose()


async def test_two_messages_from_one_person_run_one_after_the_other(db_url: str, clock: FakeClock) -> None:
    """The second unit waits for the first and reads the conversation state the first wrote."""
    engine = make_engine(db_url)
    units = UnitFactory(make_session_factory(engine))
    first_arrived = asyncio.Event()
    seen: list[str] = []

    async def first() -> None:
        async with units.begin() as unit:
            await unit.store.arrive("o-same", clock.now(), opens_window=True, subscription="", window=WINDOW)
            first_arrived.set()
            await asyncio.sleep(0.3)  # the second message arrives meanwhile
            conv = ConversationState("o-same", "report_phone", {"content": "路灯坏了三天"}, [], clock.now(), True)
            await unit.store.finish(conv, _entry("m:first", "o-same", clock))

    async def second() -> None:
        await first_arrived.wait()
        async with units.begin() as unit:
            arrival = await unit.store.arrive("o-same", clock.now(), opens_window=True, subscription="",
                                              window=WINDOW)
            seen.append(arrival.conversation.state)
            await unit.store.finish(None, _entry("m:second", "o-same", clock))

    try:
        await asyncio.wait_for(asyncio.gather(first(), second()), timeout=10)
    finally:
        await units.close()
        await engine.dispose()
    assert seen == ["report_phone"]


async def test_after_commit_callbacks_run_once_and_only_on_commit(db_url: str, clock: FakeClock) -> None:
    engine = make_engine(db_url)
    units = UnitFactory(make_session_factory(engine))
    ran: list[str] = []
    try:
        async with units.begin() as unit:
            unit.session.add(Department(name="回调部门"))
            await unit.session.flush()
            call_after_commit(unit.session, lambda: ran.append("committed"))
            assert ran == []
        with pytest.raises(RuntimeError):
            async with units.begin() as unit:
                unit.session.add(Department(name="回滚部门"))
                await unit.session.flush()
                call_after_commit(unit.session, lambda: ran.append("rolled back"))
                raise RuntimeError("handler bug")
    finally:
        await units.close()
        await engine.dispose()
    assert ran == ["committed"]
