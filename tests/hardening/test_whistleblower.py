"""Whistleblowers (issue #20 item 3): on a 检举控告类 case the reporter's name, phone, ID number and home
address reach only the 信访 office (triage department) and the supervisor — in 详情, 待办, the
new-case, supplement and overdue notices and the ledger — and are masked for everyone else."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.jobs.scheduler import run_due_jobs
from bot.services import ledger, people
from bot.services.masking import view_for
from bot.services.statistics import month_period
from storage.models import Case, OutboxMessage, Person
from tests.harness import Service
from tests.jobs.world import local

# The title keeps the first 30 characters: the phone is cut to "138123456" there.
REPORT = ("实名举报村会计挪用公款打牌，我叫张三，电话13812345678。"
          "本人身份证110101199003071234，家住城关镇幸福路8号3单元。")
ADDRESS = "城关镇幸福路8号3单元"
PHONE = "13812345678"
SECRETS = ("13812345678", "138123", "138 1234", "110101199003071234", "1990030", "张三", "幸福路", "1381234")
CASE_NUMBER = re.compile(r"XF\d{8}-\d{4}")


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


async def _office(svc: Service) -> dict[str, str]:
    roster = [("jw", "staff", "纪委监委"), ("jwlead", "leader", "纪委监委"), ("xf", "staff", "信访局"),
              ("sup", "supervisor", "督查室")]
    codes = {}
    async with svc.rt.sessions() as session, session.begin():
        await people.add_department(session, "信访局", triage=True)
        for key, role, dept in roster:
            _, codes[key] = await people.create_person(session, svc.rt, name=f"{key}-name", role=role, department=dept)
    openids = {}
    for key, *_ in roster:
        openids[key] = f"o-{key}"
        assert "绑定成功" in await svc.say(openids[key], f"绑定 {codes[key]}")
    return openids


async def _outbox(svc: Service, openid: str, kind: str) -> list[OutboxMessage]:
    async with svc.rt.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.openid == openid, OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def _message_text(row: OutboxMessage) -> str:
    return row.text + " " + " ".join(str(v) for v in (row.fields or {}).values())


async def test_whistleblower_identity_masked_for_department_shown_to_the_entitled(service: Service) -> None:
    openids = await _office(service)
    await service.say("o-reporter", REPORT)
    await service.say("o-reporter", ADDRESS)
    await service.say("o-reporter", PHONE)
    number = CASE_NUMBER.search(await service.say("o-reporter", "确认")).group(0)
    async with service.rt.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None and case.kind == "检举控告类" and case.title.endswith("138123456")
    await service.say("o-reporter", f"补充 {number} 我的新手机号１３９９９９９８８８８")
    await service.say("o-reporter", "完成")

    # 详情: the reported-on department sees the matter, not the reporter.
    for who in ("jw", "jwlead"):
        shown = await service.say(openids[who], f"详情 {number}")
        assert "挪用公款" in shown and "身份保密" in shown, shown
        assert not leaks(shown) and "1399999" not in shown and "９９９９" not in shown, (who, shown)
        listing = await service.say(openids[who], "待办")
        assert number in listing and not leaks(listing), listing
    # The supervisor sees everything as typed (the 信访 office too: see the ledger and view below;
    # its staff see other departments' cases only where visibility already lets them).
    shown = await service.say(openids["sup"], f"详情 {number}")
    assert PHONE in shown and "张三" in shown and ADDRESS in shown and "110101199003071234" in shown, shown
    assert "13999998888" in shown or "１３９９９９９８８８８" in shown

    # Notices to the department: new case, supplement, and (after the deadline) overdue.
    service.clock.set(local(2026, 12, 11, 9, 0))
    await run_due_jobs(service.rt)
    for kind in ("new_case", "supplement", "overdue_alert"):
        rows = await _outbox(service, openids["jw"], kind)
        assert rows, kind
        for row in rows:
            assert not leaks(_message_text(row)) and "1399999" not in _message_text(row), (kind, row.text)
    overdue_lead = await _outbox(service, openids["jwlead"], "overdue_alert")
    assert not overdue_lead or not leaks(_message_text(overdue_lead[0]))

    # The ledger: a file for any office (or for department staff) leaves the reporter out;
    # made for the supervisor it names them (phone partly masked, as for every case).
    async with service.rt.sessions() as session:
        sup = await session.scalar(select(Person).where(Person.openid == openids["sup"]))
        jw = await session.scalar(select(Person).where(Person.openid == openids["jw"]))
        xf = await session.scalar(select(Person).where(Person.openid == openids["xf"]))
        case = await session.scalar(select(Case).where(Case.number == number))
        assert view_for(xf, case).content == case.content and view_for(xf, case).location == ADDRESS
        assert leaks(view_for(jw, case).content) == [] and view_for(jw, case).location != ADDRESS
        period = month_period(2026, 11, service.rt.tz)
        for viewer in (None, jw):
            rows = await ledger.ledger_rows(session, service.rt, period, viewer)
            csv_text = ledger.csv_bytes(rows).decode("utf-8-sig")
            assert number in csv_text and not leaks(csv_text) and "5678" not in csv_text, csv_text
        for viewer in (sup, xf):
            entitled = ledger.csv_bytes(await ledger.ledger_rows(session, service.rt, period, viewer))
            assert "138****5678" in entitled.decode("utf-8-sig") and "张三" in entitled.decode("utf-8-sig")
    path = Path(service.settings.media_dir).parent / "ledger.xlsx"
    ledger.write_xlsx(rows, path)
    cells = " ".join(str(c.value) for row in load_workbook(BytesIO(path.read_bytes())).active.iter_rows()
                     for c in row if c.value is not None)
    assert number in cells and not leaks(cells)
