"""The dispatcher's route index picks exactly the handler a check of every route in order would."""

from __future__ import annotations

from typing import Any

from bot.dispatch import Context, Dispatcher
from handlers import build_dispatcher
from storage.repositories.inbound import ConversationState


class _Person:
    def __init__(self, role: str) -> None:
        self.role = role


def _linear(dispatcher: Dispatcher, ctx: Context) -> Any:
    for router in dispatcher.routers:
        for route in router.routes:
            if route.matches(ctx):
                return route.handler
    return None


def test_index_agrees_with_checking_every_route() -> None:
    dispatcher = build_dispatcher()
    texts = ["路灯坏了三天没人修", "查询", "查询 XF20261124-0001", "待办", "受理 1 5", "帮助", "1", "3 不满意",
             "确认", "跳过", "取消", "绑定 123456", "接访安排", "预约 2", "排查", "统计 本月", "", "hello"]
    messages: list[dict[str, Any]] = [{"MsgType": "text", "Content": t} for t in texts]
    messages += [{"MsgType": "voice", "Recognition": t} for t in texts[:6]]
    messages += [{"MsgType": kind} for kind in ("image", "location", "video", "shortvideo", "link")]
    messages += [{"MsgType": "event", "Event": e, "EventKey": k} for e, k in (
        ("subscribe", ""), ("subscribe", "qrscene_bind:1"), ("unsubscribe", ""), ("CLICK", "REPORT"),
        ("CLICK", "QUERY"), ("CLICK", "nope"), ("SCAN", "bind:1"), ("TEMPLATESENDJOBFINISH", ""))]
    checked = 0
    for role in (None, "staff", "leader", "supervisor", "admin"):
        for state in ("idle", "report_place", "report_confirm", "report_rate_reason", "booking_people",
                      "report_supplement", "staff_register", "campaign_kind"):
            for fields in messages:
                ctx = Context(rt=None, unit=None, openid="o-1", msg_type=fields["MsgType"],  # type: ignore[arg-type]
                              fields=fields, person=_Person(role) if role else None,  # type: ignore[arg-type]
                              event=(fields.get("Event") or "").lower() or None,
                              conversation=ConversationState("o-1", state))
                assert dispatcher.find(ctx) is _linear(dispatcher, ctx), (role, state, fields)
                checked += 1
    assert checked == 5 * 8 * len(messages)
