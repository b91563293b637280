"""Chinese words the console's pages use: labels for statuses, sources, actions, and outcome messages.

Statuses, roles and sources come from the services (one list for chat, ledger and console). The outcome
messages are the services' table (``bot/services/outcome_texts.py``); event actions and sources are
``bot/case_labels.py``, the table the chat's 详情 and the ledgers read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2

from bot.case_labels import SOURCE_LABELS, action_label, source_label
from bot.case_policy import ROLE_LABELS, STATUS_LABELS
from bot.services.outcome_texts import OUTCOME_MESSAGES
from bot.services.statistics import SATISFACTION_LABELS, percent

# Shown on the case file after an action succeeded (the page reloads with ``?done=<action>``).
DONE_SHORT = {
    "accept": "已受理，受理告知已发送给群众。",
    "decline": "已不予受理，理由已告知群众。",
    "reply": "已回复，消息将发送给群众。",
    "reply_no_citizen": "已记录回复（该事项无微信联系方式，请电话或书面告知群众）。",
    "transfer": "已转办，首问责任人不变，双方及群众已获通知。",
    "extend": "已延期，延期告知已发送给群众。",
    "resolve": "已办结，处理意见和评价邀请已发送给群众。",
    "confirm_resolve": "已确认可以办结，承办人员将收到通知。",
    "recategorise": "已更正分类。",
    "take_charge": "已包案，此后该事项的每个进展都会通知您。",
    "supervise": "已向承办单位发出督办。",
    "register": "已登记，您为首问责任人。",
}

ERRORS = {
    **OUTCOME_MESSAGES,
    "bad_input": "填写有误：{what}",
}


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def word(template: str, **values: Any) -> str:
    if "status" in values:
        values["status"] = STATUS_LABELS.get(values["status"], values["status"])
    return template.format_map(_Blank(values))


@jinja2.pass_context
def local(ctx: Any, when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if when is None:
        return "—"
    tz = ctx.get("tz")
    return (when.astimezone(tz) if tz else when).strftime(fmt)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


FILTERS = {
    "local": local, "status_label": status_label, "source_label": source_label,
    "action_label": action_label, "role_label": lambda r: ROLE_LABELS.get(r, r),
    "percent": percent, "satisfaction_label": lambda n: SATISFACTION_LABELS.get(n, str(n)),
}
GLOBALS = {"STATUS_LABELS": STATUS_LABELS, "SOURCE_LABELS": SOURCE_LABELS, "ROLE_LABELS": ROLE_LABELS}
