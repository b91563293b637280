"""Admin pages: people and their sessions, departments, outbox retry, rules explanation and eval, uploads."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from bot.services import people
from storage.models import Person
from tests.console.desk import Desk
from tests.staff.office import file_complaint, snapshot


async def _admin(desk: Desk) -> None:
    async with desk.svc.rt.sessions() as session, session.begin():
        _, code = await people.create_person(session, desk.svc.rt, name="admin-name", role="admin")
    assert "绑定成功" in await desk.office.say("o-admin", f"绑定 {code}")
    desk.office.openids["admin"] = "o-admin"


async def test_admin_manages_people_and_deactivating_ends_their_sessions(desk: Desk) -> None:
    await _admin(desk)
    admin = await desk.browser("admin")
    staff = await desk.browser("staff")
    await admin.get("/admin/people")
    created = await admin.post("/admin/people", {"name": "新同事", "role": "staff", "department": desk.office.dept})
    assert created.status == 200 and "绑定码" in created.text
    assert (await admin.post("/admin/people", {"name": "", "role": "staff"})).status == 400
    assert (await admin.post("/admin/people", {"name": "无部门", "role": "staff"})).status == 400
    async with desk.svc.rt.sessions() as session:
        staff_id = await session.scalar(select(Person.id).where(Person.name == "staff-name"))
    assert (await admin.post(f"/admin/people/{staff_id}/deactivate", {})).status == 200
    assert (await staff.get("/inbox")).status == 401
    assert (await admin.post("/admin/departments", {"name": "应急管理局"})).status == 200
    assert "应急管理局" in (await admin.get("/admin")).text
    assert (await admin.get("/admin/outbox")).status == 200
    assert (await admin.get("/admin/reception")).status == 200
    assert (await staff.get("/admin")).status == 401
    assert (await (await desk.browser("leader")).get("/admin/people")).status == 403


async def test_rules_explanation_eval_upload_and_oversized_upload(desk: Desk) -> None:
    number = await file_complaint(desk.office)
    await _admin(desk)
    admin = await desk.browser("admin")
    page = await admin.get("/admin/rules", params={"number": number})
    assert page.status == 200 and "物业" in page.text and "权重" in page.text
    csv = "text,label\n小区物业乱收费,城乡建设\n工资拖欠三个月,劳动和社会保障\n".encode()
    form = aiohttp.FormData()
    form.add_field("csrf", admin.csrf)
    form.add_field("level", "group")
    form.add_field("file", csv, filename="labelled.csv", content_type="text/csv")
    result = await admin.post("/admin/rules/eval", form, csrf=False)
    assert result.status == 200 and "准确率" in result.text, result.text[-800:]

    bad = aiohttp.FormData()
    bad.add_field("csrf", admin.csrf)
    bad.add_field("file", b"no,columns\n1,2\n", filename="x.csv", content_type="text/csv")
    refused = await admin.post("/admin/rules/eval", bad, csrf=False)
    assert refused.status == 400 and "text" in refused.text

    before = await snapshot(desk.svc)
    huge = aiohttp.FormData()
    huge.add_field("csrf", admin.csrf)
    huge.add_field("file", b"x" * (3 * 1024 * 1024), filename="big.csv", content_type="text/csv")
    too_big = await admin.post("/admin/rules/eval", huge, csrf=False)
    assert too_big.status == 413 and "大小限制" in too_big.text
    assert await snapshot(desk.svc) == before
