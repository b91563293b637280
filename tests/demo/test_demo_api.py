"""The demo's JSON API: the seeded county, chatting as each phone, and the time control."""

from __future__ import annotations

from sqlalchemy import select

from bot.demo.console import Console, format_entry, parse_jump
from storage.models import Person
from storage.models.reception import ReceptionSession
from tests.demo import steps
from tests.demo.conftest import DemoClient


async def file_case(client: DemoClient) -> str:
    """The citizen reports the sample complaint and answers the flow's questions until filed."""
    entries = await client.say("citizen", steps.COMPLAINT)
    for _ in range(steps.MAX_STEPS):
        replies = [e["text"] for e in entries if e["phone"] == "citizen" and e["side"] == "bot"]
        assert replies, entries
        number = steps.case_number(replies[-1])
        if number:
            return number
        kind, text = steps.citizen_answer(replies[-1])
        entries = await client.say("citizen", text, kind=kind)
    raise AssertionError(f"no case number after {steps.MAX_STEPS} answers: {replies[-1]}")


async def test_info_shows_three_phones_of_a_seeded_and_bound_cast(demo_client: DemoClient) -> None:
    status, info = await demo_client.get("/api/info")
    assert status == 200
    keys = [p["key"] for p in info["phones"]]
    assert {"citizen", "staff", "leader"} <= set(keys)
    assert "2026年11月23日 周一 09:00" == info["clock"]["label"]
    async with demo_client.demo.rt.sessions() as session:
        people = {p.name: p for p in await session.scalars(select(Person))}
        sessions = list((await session.scalars(select(ReceptionSession))).unique())
    cast = demo_client.demo.cast
    assert cast is not None
    for key, role in (("staff", "staff"), ("staff2", "staff"), ("leader", "leader"), ("supervisor", "supervisor")):
        member = cast[key]
        assert people[member.name].role == role
        assert people[member.name].openid == member.openid
    assert cast["staff"].department != cast["staff2"].department
    assert [(s.weekday, s.leader_id) for s in sessions] == [(1, people[cast["leader"].name].id)]


async def test_page_and_static_files_are_served(demo_client: DemoClient) -> None:
    for path, needle in (("", "信访服务号"), ("static/demo.js", "/api/messages"), ("static/demo.css", ".phone")):
        async with demo_client.http.get(demo_client.url + path) as resp:
            assert resp.status == 200
            assert needle in await resp.text()
    async with demo_client.http.get(demo_client.url + "static/sample.jpg") as resp:
        assert resp.status == 200
        assert (await resp.read())[:2] == b"\xff\xd8"


async def test_citizen_message_shows_as_sent_and_gets_the_passive_reply(demo_client: DemoClient) -> None:
    entries = await demo_client.say("citizen", "帮助")
    mine = [e for e in entries if e["side"] == "me"]
    replies = [e for e in entries if e["side"] == "bot"]
    assert [(e["phone"], e["text"]) for e in mine] == [("citizen", "帮助")]
    assert replies and replies[0]["via"] == "reply" and replies[0]["text"]
    status, later = await demo_client.get(f"/api/messages?since={mine[0]['id']}")
    assert status == 200 and later["entries"][0]["id"] == replies[0]["id"]


async def test_filed_case_reaches_staff_whose_reply_reaches_the_citizen(demo_client: DemoClient) -> None:
    number = await file_case(demo_client)
    accepted = await demo_client.say("staff", f"受理 {number}")
    assert any(number in e["text"] for e in accepted if e["phone"] == "staff" and e["side"] == "bot")
    await demo_client.say("staff", f"回复 {number} {steps.STAFF_REPLY}")
    citizen = await demo_client.phone("citizen")
    arrived = [e for e in citizen if e["side"] == "bot" and steps.STAFF_REPLY in e["text"]]
    assert arrived and arrived[0]["via"] in ("custom", "template")
    assert number in arrived[0]["text"]
    status, calls = await demo_client.get("/api/outbox")
    assert status == 200
    assert any(c["openid"] == demo_client.demo.cast["citizen"].openid and c["errcode"] == 0 for c in calls)


async def test_photo_and_location_are_sent_as_wechat_messages(demo_client: DemoClient) -> None:
    await demo_client.say("citizen", steps.COMPLAINT)
    location = await demo_client.say("citizen", "", kind="location")
    photo = await demo_client.say("citizen", "", kind="photo")
    assert location[0]["kind"] == "location" and "幸福家园" in location[0]["text"]
    assert photo[0]["kind"] == "image" and photo[0]["image"] == "/static/sample.jpg"
    assert any(e["side"] == "bot" for e in location) and any(e["side"] == "bot" for e in photo)
    pushed = [c for c in demo_client.demo.wx.calls if c.endpoint == "media/get"]
    assert pushed and pushed[-1].errcode == 0  # the service fetched the photo from the platform


async def test_booked_visit_is_on_the_leaders_list_at_18_00_the_day_before(demo_client: DemoClient) -> None:
    number = await file_case(demo_client)
    assert "县委书记" in (await demo_client.say("citizen", "接访安排"))[-1]["text"]
    await demo_client.say("citizen", "预约 1")
    await demo_client.say("citizen", number)
    booked = await demo_client.say("citizen", "2")
    assert "预约成功" in booked[-1]["text"]

    status, result = await demo_client.post("/api/time", {"to": "18:00"})
    assert status == 200, result
    assert result["clock"]["label"] == "2026年11月23日 周一 18:00"
    leader = [e for e in result["entries"] if e["phone"] == "leader" and e["side"] == "bot"]
    assert len(leader) == 1 and "明日接访" in leader[0]["text"] and number in leader[0]["text"]
    assert leader[0]["at"] == "11-23 18:00"
    citizen = [e["text"] for e in result["entries"] if e["phone"] == "citizen" and e["side"] == "bot"]
    assert any("接访提醒" in t for t in citizen)


async def test_overdue_alert_appears_after_jumping_past_the_acknowledgement_deadline(
    demo_client: DemoClient,
) -> None:
    number = await file_case(demo_client)
    status, result = await demo_client.post("/api/time", {"days": 16})
    assert status == 200, result
    assert result["clock"]["label"] == "2026年12月9日 周三 09:00"
    staff = [e["text"] for e in result["entries"] if e["phone"] == "staff" and e["side"] == "bot"]
    assert any("超期" in t and number in t for t in staff), staff


async def test_bad_requests_are_answered_400_and_change_nothing(demo_client: DemoClient) -> None:
    before = demo_client.demo.last_id
    for body in ({"phone": "mayor", "text": "你好"}, {"phone": "citizen", "text": "  "},
                 {"phone": "citizen", "kind": "video"}):
        status, data = await demo_client.post("/api/send", body)
        assert status == 400 and data["error"]
    for body in ({"hours": -1}, {"to": "25:00"}, {"days": 400}, {"hours": "soon"}):
        status, data = await demo_client.post("/api/time", body)
        assert status == 400 and data["error"], body
    status, _ = await demo_client.get("/api/messages?since=x")
    assert status == 400
    assert demo_client.demo.last_id == before


def test_console_time_syntax() -> None:
    assert parse_jump("+2h") == {"hours": 2}
    assert parse_jump("1d") == {"days": 1}
    assert parse_jump("+30m") == {"hours": 0.5}
    assert parse_jump("18：00") == {"to": "18:00"}
    assert parse_jump("soon") is None
    assert format_entry({"side": "bot", "via": "template", "at": "11-23 18:00", "text": "a\nb"}) == (
        "[11-23 18:00] 信访服务号（模板消息）：a\n        b")


async def test_console_chats_as_one_person_and_switches_to_another(demo_client: DemoClient) -> None:
    out: list[str] = []
    console = Console(demo_client.http, demo_client.url, "citizen", out.append)
    await console.start()
    assert await console.handle("帮助")
    assert any(line.startswith("[11-23 09:00] 我：帮助") for line in out)
    assert any("信访服务号：" in line for line in out)
    assert await console.handle("/as leader")
    assert await console.handle("/time 18:00")
    assert any("明日接访" in line for line in out)
    assert not await console.handle("/quit")
