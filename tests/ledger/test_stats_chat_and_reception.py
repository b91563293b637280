"""`统计` in chat over real HTTP (leaders and 督查室 only), and reception figures in the statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.clock import FakeClock
from bot.services import statistics
from bot.services.statistics import month_period
from storage.models import Person
from storage.models.reception import ReceptionBooking, ReceptionOccurrence, ReceptionSession
from tests.harness import Service
from tests.ledger.scenario import make_plan, run_plan
from tests.ledger.test_ledger_and_report import make_runtime


async def _people(svc: Service) -> dict[str, int]:
    ids = {}
    async with svc.rt.sessions() as session:
        for openid, role, name in (("o-sup", "supervisor", "督查室赵"), ("o-staff", "staff", "钱干事")):
            person = Person(name=name, role=role, openid=openid, created_at=svc.clock.now(),
                            bound_at=svc.clock.now())
            session.add(person)
            await session.flush()
            ids[openid] = person.id
        await session.commit()
    return ids


async def test_leaders_and_supervisors_get_statistics_others_fall_through(service: Service) -> None:
    scenario = await run_plan(service.rt, service.clock, make_plan())
    await _people(service)
    async with service.rt.sessions() as session:
        leader = await session.get(Person, scenario.leaders["张书记"])
        assert leader is not None
        leader.openid, leader.bound_at = "o-leader", service.clock.now()
        await session.commit()
    nov = scenario.in_range(date(2026, 11, 1), date(2026, 11, 30))

    reply = await service.say("o-leader", "统计")
    assert reply.startswith("【2026年11月 信访统计】"), reply
    assert f"信访总量 {len(nov)} 件" in reply
    mine = sum(1 for p in nov if p.leader == "张书记")
    assert (f"您包案 {mine} 件" in reply) == bool(mine)

    assert (await service.say("o-sup", "统计 上月")).startswith("【2026年10月 信访统计】")
    ranged = await service.say("o-sup", "统计 2026-11-01 ~ 2026-11-10")
    assert ranged.startswith("【2026-11-01至2026-11-10 信访统计】")
    assert "没有看懂统计期间" in await service.say("o-leader", "统计 明年")

    for openid in ("o-staff", "o-citizen-99"):
        assert "信访统计" not in await service.say(openid, "统计")


async def test_reception_sessions_held_and_visitors_count_until_now(db_url: str, clock: FakeClock) -> None:
    rt, engine = make_runtime(db_url, clock)
    now = clock.now()  # Tue 2026-11-24 09:00 Shanghai
    async with rt.sessions() as session:
        leader = Person(name="张书记", role="leader", created_at=now)
        session.add(leader)
        await session.flush()
        weekly = ReceptionSession(leader_id=leader.id, weekday=1, start_time=time(9), end_time=time(11, 30),
                                  place="信访接待室", slots=10, created_at=datetime(2026, 10, 20, tzinfo=UTC))
        once = ReceptionSession(leader_id=leader.id, on_date=date(2026, 11, 12), start_time=time(14),
                                end_time=time(16), place="东山镇", form="带案下访", created_at=now)
        later = ReceptionSession(leader_id=leader.id, on_date=date(2026, 11, 26), start_time=time(9),
                                 end_time=time(11), place="西湖街道", created_at=now)
        session.add_all([weekly, once, later])
        await session.flush()

        async def occurrence(s: ReceptionSession, day: date, cancelled: bool = False) -> ReceptionOccurrence:
            occ = ReceptionOccurrence(session_id=s.id, day=day, cancelled=cancelled)
            session.add(occ)
            await session.flush()
            return occ

        def book(occ: ReceptionOccurrence, openid: str, people: int, status: str = "booked") -> None:
            session.add(ReceptionBooking(occurrence_id=occ.id, session_id=occ.session_id, day=occ.day,
                                         openid=openid, people=people, status=status, created_at=now))

        book(await occurrence(weekly, date(2026, 11, 3)), "o-a", 1, "attended")
        nov17 = await occurrence(weekly, date(2026, 11, 17))
        book(nov17, "o-b", 3)
        book(nov17, "o-c", 2, "cancelled")
        # Holiday: the session on the 10th did not take place.
        book(await occurrence(weekly, date(2026, 11, 10), cancelled=True), "o-d", 1, "office_cancelled")
        book(await occurrence(later, date(2026, 11, 26)), "o-e", 1)
        await session.commit()

    async with rt.sessions() as session:
        figures = await statistics.reception_figures(
            session, month_period(2026, 11, rt.tz).start, month_period(2026, 11, rt.tz).end, now)
        october = await statistics.reception_figures(
            session, month_period(2026, 10, rt.tz).start, month_period(2026, 10, rt.tz).end, now)
    await engine.dispose()
    # Tuesdays 3, 17, 24 (the 10th cancelled) and the one-off on the 12th; the 26th is still ahead.
    assert (figures.sessions, figures.visitors, figures.available) == (4, 4, True)
    # The weekly rule was set up on 2026-10-20: October's sessions before that never existed.
    assert october.sessions == 2 and october.visitors == 0
