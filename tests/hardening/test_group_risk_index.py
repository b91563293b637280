"""Group risk through the sketch index, and per-openid intake limits (issue #20 item 9)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from bot.jobs.scheduler import run_due_jobs
from storage.models import Attachment, Case, CaseShingle, OutboxMessage
from tests.citizen.helpers import add_person, cases_of, report
from tests.harness import Service

BLOCKED = "幸福小区门口的主干道修路封了两个月，施工围挡一直不拆，居民出行非常困难"
PLACE = "幸福小区南门"


async def _alerts(service: Service) -> list[OutboxMessage]:
    async with service.rt.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "group_alert")))


async def _index_rows(service: Service, case_id: int | None = None) -> int:
    async with service.rt.sessions() as session:
        stmt = select(func.count()).select_from(CaseShingle)
        if case_id is not None:
            stmt = stmt.where(CaseShingle.case_id == case_id)
        return int(await session.scalar(stmt) or 0)


async def test_similar_reports_are_found_through_the_sketch_index_not_a_scan(service: Service) -> None:
    await add_person(service, name="督查", role="supervisor", openid="o-sup-ix")
    await report(service, "o-ix1", BLOCKED, place=PLACE)
    await report(service, "o-ix2", "幸福小区门口主干道修路封了两个月了，围挡一直不拆，出行非常困难", place=PLACE)
    first, second = await cases_of(service)
    assert 0 < await _index_rows(service, first.id) <= 64 and await _index_rows(service, second.id) > 0
    # A case missing from the index is not compared at all: with the first one's sketch gone, a third
    # citizen makes only two reporters, and no alert (a scan of the cases table would find three).
    async with service.rt.sessions() as session, session.begin():
        await session.execute(delete(CaseShingle).where(CaseShingle.case_id == first.id))
    await report(service, "o-ix3", "幸福小区门口的主干道修路封路两个多月，施工围挡不拆，居民出行太困难", place=PLACE)
    assert await _alerts(service) == []
    # With the index intact the cluster is found as before.
    await report(service, "o-ix4", BLOCKED, place=PLACE)
    assert [a.openid for a in await _alerts(service)] == ["o-sup-ix"]

    # Rows older than the window are pruned by the hourly job.
    service.clock.advance(timedelta(hours=49))
    await run_due_jobs(service.rt)
    assert await _index_rows(service) == 0


async def test_cases_per_hour_cap_keeps_the_draft_and_files_it_later(service: Service) -> None:
    service.rt.settings.max_cases_per_hour = 2
    for text in ("小区路灯坏了一个月没人修", "楼下饭店油烟太大每天晚上熏得没法开窗"):
        assert "已登记" in await report(service, "o-busy", text)
    answer = await report(service, "o-busy", "村里的道路坑坑洼洼下雨天没法走")
    assert "一小时内已提交 2 件" in answer and "确认" in answer
    assert len(await cases_of(service, "o-busy")) == 2
    service.clock.advance(timedelta(minutes=61))
    assert "已登记" in await service.say("o-busy", "确认")
    cases = await cases_of(service, "o-busy")
    assert [c.content for c in cases][-1] == "村里的道路坑坑洼洼下雨天没法走"


async def test_draft_attachment_cap_refuses_more_media_with_a_clear_answer(service: Service) -> None:
    service.rt.settings.max_draft_attachments = 2
    user = service.user("o-photos")
    await service.say("o-photos", "小区门口的下水道堵了好几天")
    for _ in range(2):
        assert "已收到附件" in (await user.image(b"\xff\xd8\xff\xe0PHOTO\xff\xd9")).reply_text
    refused = (await user.image(b"\xff\xd8\xff\xe0PHOTO\xff\xd9")).reply_text
    assert "最多可附 2 个" in refused
    await service.say("o-photos", "跳过")
    await service.say("o-photos", "跳过")
    assert "已登记" in await service.say("o-photos", "确认")
    async with service.rt.sessions() as session:
        case = await session.scalar(select(Case).where(Case.citizen_openid == "o-photos"))
        assert case is not None
        attached = await session.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.case_id == case.id))
        assert attached == 2
