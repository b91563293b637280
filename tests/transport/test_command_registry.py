"""The command registry: a command word any officer router answers never starts a citizen's report."""

from __future__ import annotations

from typing import Any

from bot.dispatch import CommandRegistry, Context, Router, command, role
from handlers import build_dispatcher, citizen
from handlers.commands import COMMANDS, STAFF
from handlers.flows import report
from storage.repositories.inbound import ConversationState


def _citizen_says(text: str, state: str = "idle") -> Context:
    fields: dict[str, Any] = {"MsgType": "text", "Content": text}
    return Context(rt=None, unit=None, openid="o-c", msg_type="text", fields=fields,  # type: ignore[arg-type]
                   conversation=ConversationState("o-c", state))


def test_every_officer_command_is_refused_to_a_citizen_not_taken_for_a_report() -> None:
    dispatcher = build_dispatcher()
    words = COMMANDS.words_for(STAFF)
    # The registry is filled by the routes themselves: the staff, leader, 统计, campaign and reception ones.
    assert {"待办", "受理", "包案", "统计", "排查", "登记", "接访名单", "回头看", "重办"} <= words
    report_steps = {route.handler for route in report.FLOW.steps_router.routes}
    for word in words:
        for state in ("idle", "report_place", "report_confirm"):
            handler = dispatcher.find(_citizen_says(f"{word} 1", state))
            assert handler not in report_steps, (word, state)
            assert handler in (citizen.staff_command, citizen.help_), (word, state, handler)


def test_a_new_route_registers_its_word_for_its_audience_only() -> None:
    registry = CommandRegistry()
    officers = Router("officers", role("staff"), audience=STAFF, registry=registry)
    officers.add(lambda ctx: None, command("新命令"))  # type: ignore[arg-type,return-value]
    in_flow = Router("flow", audience=STAFF, registry=registry)
    from bot.dispatch import state

    in_flow.add(lambda ctx: None, state("x_state"), command("取消"))  # type: ignore[arg-type,return-value]
    assert registry.words_for(STAFF) == {"新命令"}  # a flow's in-state word is not a command
    guard = registry.command_of(STAFF)
    assert guard(_citizen_says("新命令 XF20261124-0001"))
    assert not guard(_citizen_says("路灯坏了三天"))
