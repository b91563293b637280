"""Item 3: every instruction the bot gives is a command it understands, in every state.

Walks every chat text template of every audience (reply texts in ``handlers/texts``, notices in the
services and jobs), extracts each “发送/回复 X” instruction, fills in its placeholders, and asks the
dispatcher which handler would answer it — in the idle state and in every state where the bot is
collecting material (a draft report, a 补充 session, a booking, a staff registration …). A command
must never land on the handler that takes material in that state (for a citizen in idle, the
new-report fallback; for staff, the unknown-command reply).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.dispatch import Context
from bot.services.case_queries import Person
from bot.services.report_drafts import DraftStage
from handlers import build_dispatcher, citizen, staff
from handlers.flows import booking, rating, supplement, walk_in
from handlers.flows import campaign as campaign_flows
from handlers.flows import report as report_flow
from storage.repositories.inbound import ConversationState

TEXT_MODULES = (
    "handlers.texts.citizen", "handlers.texts.common", "handlers.texts.staff", "handlers.texts.reception",
    "handlers.texts.campaign", "handlers.texts.stats", "handlers.texts.lifecycle", "bot.services.notice_texts",
    "bot.services.workflow", "bot.services.rating", "bot.services.rating_request", "bot.services.report_drafts",
    "bot.services.reviews",
    "bot.services.follow_up", "bot.services.cases", "bot.services.citizen_cases", "bot.services.campaign_texts",
    "bot.services.reception", "bot.services.campaign_work", "bot.services.campaign",
)
INSTRUCTION = re.compile(r"(?:发送|回复|或)“([^”]+)”")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
SAMPLE = {"编号": "XF20261124-0001", "序号": "1", "分数": "1", "天数": "5", "场次": "1", "绑定码": "123456",
          "[天数]": "5"}
# Words that answer the question of a flow rather than name a command; checked in their flows.
FLOW_ANSWERS = {"跳过", "无", "确认", "完成"}
CITIZEN_STATES = ("idle", *DraftStage, *supplement.SupplementState, *booking.BookingState, *rating.RatingState,
                  *campaign_flows.SuggestState)
STAFF_STATES = ("idle", *walk_in.WalkInState, *campaign_flows.SurveyState, *campaign_flows.VisitState)
PLAIN = "这是一段普通的情况说明文字，不是命令"


def audience(module: str, name: str) -> str:
    """Who reads a template: "citizen" or "staff" (staff, leaders, supervisors)."""
    if "CITIZEN" in name or name in ("BIND_USAGE", "BIND_FAILED", "SUGGEST_ASK") or name.startswith("SUMMARY"):
        return "citizen"
    if module in ("handlers.texts.citizen", "handlers.texts.common", "bot.services.report_drafts",
                  "bot.services.rating", "bot.services.rating_request"):
        return "citizen"
    if module == "handlers.texts.lifecycle":
        return "citizen" if name.startswith(("REVIEW", "RECHECK", "FOLLOW_UP")) else "staff"
    if module == "handlers.texts.reception":
        return "citizen" if name.startswith(("BOOK", "CANCEL", "SCHEDULE")) else "staff"
    if module == "bot.services.notice_texts":
        return "citizen" if name in ("AUTO_CLOSE", "RECEPTION_CANCELLED") else "staff"
    if module == "bot.services.follow_up":
        return "citizen" if name == "ASK_TEXT" else "staff"
    return "staff"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def instructions() -> list[tuple[str, str, str]]:
    """(audience, where, instruction text filled in)."""
    found: set[tuple[str, str, str]] = set()
    for module_name in TEXT_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("__") or not name.isupper() and name != "_PROMPTS":
                continue
            for text in _strings(value):
                for raw in INSTRUCTION.findall(text):
                    # "采纳|部分采纳|留作参考": one word of several choices; the first stands for all.
                    words = [SAMPLE.get(w, w).split("|")[0] for w in raw.split()]
                    filled = PLACEHOLDER.sub(lambda m: "XF20261124-0001" if m.group(0) != "{day}" else "12月1日",
                                             " ".join(words))
                    found.add((audience(module_name, name), f"{module_name}.{name}", filled))
    return sorted(found)


DISPATCHER = build_dispatcher()
# The handlers that start or continue a citizen's report: a command must never land on one.
NEW_REPORT = frozenset(route.handler for route in report_flow.FLOW.steps_router.routes)


def _context(text: str, who: str, state: str) -> Context:
    person = None if who == "citizen" else Person(id=1, name="测试", role=who, active=True, department_id=1)
    return Context(rt=None, unit=None, openid=f"o-{who}", msg_type="text",  # type: ignore[arg-type]
                   fields={"Content": text, "MsgType": "text"}, person=person,
                   conversation=ConversationState(f"o-{who}", state=str(state)))


def _handler(text: str, who: str, state: str) -> Any:
    return DISPATCHER.find(_context(text, who, state))


def test_the_walk_finds_the_instructions_of_both_audiences() -> None:
    found = instructions()
    texts = {(a, t.split()[0]) for a, _, t in found}
    for expected in [("citizen", "申请复查"), ("citizen", "申请复核"), ("citizen", "查询"), ("citizen", "补充"),
                     ("citizen", "1"), ("citizen", "2"), ("staff", "详情"), ("staff", "办结"), ("staff", "受理")]:
        assert expected in texts, expected
    assert len(found) > 40


@pytest.mark.parametrize(("who", "where", "text"), instructions())
def test_every_instruction_is_understood_in_every_state(who: str, where: str, text: str) -> None:
    roles = ("citizen",) if who == "citizen" else ("staff", "leader", "supervisor")
    states = CITIZEN_STATES if who == "citizen" else STAFF_STATES
    first = text.split()[0]
    failures = []
    understood_somewhere = False
    for state in states:
        ok_roles = []
        for role in roles:
            handler = _handler(text, role, state)
            material = _handler(PLAIN, role, state)
            if first in FLOW_ANSWERS:
                # A flow answer: understood somewhere, by a handler other than the generic replies.
                ok = handler is not None and handler not in (citizen.fallback, staff.unknown_command)
            else:
                ok = handler is not None and handler is not material and handler not in (
                    *NEW_REPORT, citizen.fallback, citizen.staff_command, staff.unknown_command)
            if ok:
                ok_roles.append(role)
        if not ok_roles:
            failures.append(state)
        understood_somewhere = understood_somewhere or bool(ok_roles)
    if first in FLOW_ANSWERS:
        assert understood_somewhere, f"{where}: “{text}” for {who} is understood in no state"
        return
    assert not failures, f"{where}: “{text}” for {who} is not a command in states {failures}"
