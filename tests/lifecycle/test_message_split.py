"""Item 8 (messages that fit): a digest longer than one template goes as several numbered template
messages, split between items, never inside one."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.jobs import alerts
from bot.message_split import custom_parts, template_parts, utf8_size
from tests.harness import Service
from tests.jobs.world import add_case, seed_office

LINE = re.compile(r"^\d+\. XF\d{8}-\d{4}「.+」.+ · 超期 \d+ 天$")


async def test_long_escalation_digest_goes_as_numbered_templates_cut_between_items(service: Service) -> None:
    svc = service
    svc.rt.settings.template_ids["escalation_digest"] = "TPL-DIGEST"
    office = await seed_office(svc.rt)
    now = svc.clock.now()
    for i in range(12):
        await add_case(svc.rt, office.housing, openid=f"o-c{i}", title=f"小区第{i}号楼物业乱收费停车管理费问题",
                       registered_at=now - timedelta(days=25), ack_due_at=now - timedelta(days=6))
    assert await alerts.escalation_digest(svc.rt) == 1
    await svc.deliver_outbox()

    messages = [m for m in svc.wx.inbox("o-inspector") if m.kind == "template"]
    assert len(messages) >= 3
    contents = [m.payload["data"]["content"]["value"] for m in messages]
    total = len(contents)
    assert [c.splitlines()[-1] for c in contents] == [f"（{i}/{total}）" for i in range(1, total + 1)]
    assert contents[0].startswith("【超期督办建议】")
    items = [line for c in contents for line in c.splitlines() if re.match(r"^\d+\. ", line)]
    # Every one of the 12 items arrives whole, once, in order.
    assert [int(line.split(".")[0]) for line in items] == list(range(1, 13))
    assert all(LINE.match(line) for line in items), items
    assert all(len(c) <= 200 for c in contents)


def test_split_keeps_short_texts_and_cuts_only_an_oversized_line() -> None:
    assert template_parts("短消息") == ["短消息"]
    long_line = "长" * 450
    parts = template_parts(f"标题\n{long_line}\n尾")
    assert all(len(p) <= 200 for p in parts)
    assert "".join(p.rsplit("\n", 1)[0].replace("\n", "") for p in parts) == f"标题{long_line}尾"
    big = "\n".join(f"{i}. " + "事" * 60 for i in range(40))
    assert all(utf8_size(p) <= 2048 for p in custom_parts(big)) and len(custom_parts(big)) > 1
