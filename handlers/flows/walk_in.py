"""登记 [来访|来信|来电] [收信日期] [内容]: staff register a visit, letter or call (首问 theirs).

The source word names the channel (none = 来访); a letter may carry its envelope date as the
receipt date (``登记 来信 2026-11-28 内容``), from which its deadline counts. A word that looks like
a source but is none of them (来函, 网上 …) is answered with the words that exist, and nothing is
filed. With the content on the command line the case is filed at once; otherwise the conversation
waits in ``WalkInState.CONTENT`` for it; 取消 abandons it. Filing is
``bot.services.workflow.register_walk_in`` (the common intake, alerts included).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from enum import StrEnum

from bot.dispatch import Context, command, msg_type, staff_or_above
from bot.services import workflow
from bot.services.intake import SOURCE_WORD_OF, SOURCE_WORDS
from handlers.commands import STAFF
from handlers.flows import Flow, Step
from handlers.flows import state as conversation
from handlers.staff import bound_person, error_text
from handlers.texts import staff as texts
from nlp import find_phones


class WalkInState(StrEnum):
    CONTENT = "staff_register"


@dataclasses.dataclass
class WalkInData(conversation.FlowData):
    source: str = "reception"
    received_on: str | None = None


# Words staff might put where the source goes that are not a 登记 channel: answered, not filed.
_LOOKS_LIKE_SOURCE = re.compile(r"^(?:来[\u4e00-\u9fff]|网上|网络|邮件|传真|短信|微信|信件|电话|走访)$")
_DATE_FORMS = (
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
)


def _date_word(word: str, today: date) -> date | str | None:
    """A receipt date written by staff, "bad" for a date-like word that is no date, None otherwise."""
    for form in _DATE_FORMS:
        m = form.match(word)
        if m is None:
            continue
        year = int(m.group("y")) if "y" in m.groupdict() and m.group("y") else today.year
        try:
            day = date(year, int(m.group("m")), int(m.group("d")))
        except ValueError:
            return "bad"
        if "y" not in m.groupdict() and day > today:
            # "12-28" typed in January means last December's envelope.
            day = date(year - 1, day.month, day.day) if not (day.month == 2 and day.day == 29) else day
        return day
    return None


def _parse(ctx: Context) -> tuple[WalkInData, str] | str:
    """(source and receipt date, content), or the reply for a word that cannot be used."""
    args = list(ctx.args)
    data = WalkInData()
    if args and args[0] in SOURCE_WORDS:
        data.source = SOURCE_WORDS[args.pop(0)]
    elif args and _LOOKS_LIKE_SOURCE.match(args[0]):
        return texts.REGISTER_UNKNOWN_SOURCE.format(word=args[0], words="、".join(SOURCE_WORDS))
    if data.source == "letter" and args:
        day = _date_word(args[0], ctx.rt.local_now().date())
        if day == "bad":
            return texts.REGISTER_BAD_DATE.format(word=args[0])
        if isinstance(day, date):
            args.pop(0)
            data.received_on = day.isoformat()
    return data, " ".join(args)


async def _register(ctx: Context, content: str, data: WalkInData) -> str:
    phones = find_phones(content)
    received = date.fromisoformat(data.received_on) if data.received_on else None
    outcome = await workflow.register_walk_in(ctx.session, ctx.rt, bound_person(ctx), content,
                                              phone=phones[0] if phones else None, source=data.source,
                                              received_on=received)
    if not outcome.ok:
        if outcome.reason == "text_required":
            return _ask(ctx, data)
        return error_text(outcome)
    case = outcome.case
    assert case is not None
    conversation.remember_list(ctx, [case.id])
    detail = outcome.detail
    reply = texts.REGISTER_DONE.format(number=case.number, title=case.title, category=case.category,
                                       dept=detail["department"], due=detail["due"],
                                       source=SOURCE_WORD_OF.get(data.source, data.source))
    if received is not None:
        reply += texts.REGISTER_RECEIVED.format(date=received.strftime("%Y年%m月%d日"))
    if detail.get("triage"):
        reply += texts.REGISTER_TRIAGE.format(reason=detail["triage"])
    if detail.get("separation"):
        reply += texts.REGISTER_SEPARATION.format(route=detail["separation"], number=case.number)
    if detail.get("group_risk"):
        reply += texts.REGISTER_ALERTED.format(count=detail.get("alerted", 0))
    return reply


def _ask(ctx: Context, data: WalkInData) -> str:
    conversation.enter(ctx, WalkInState.CONTENT, data)
    return texts.REGISTER_ASK.format(source=SOURCE_WORD_OF.get(data.source, data.source))


async def register(ctx: Context) -> str | None:
    parsed = _parse(ctx)
    if isinstance(parsed, str):
        return parsed
    data, content = parsed
    if not content:
        return _ask(ctx, data)
    return await _register(ctx, content, data)


async def register_content(ctx: Context) -> str | None:
    data = conversation.load(ctx, WalkInData)
    conversation.reset(ctx)
    return await _register(ctx, ctx.text, data)


async def register_cancel(ctx: Context) -> str | None:
    conversation.reset(ctx)
    return texts.REGISTER_CANCELLED


FLOW = Flow(
    "walk-in", WalkInState, audience=STAFF, router_filters=[staff_or_above()],
    entry_points=[Step(register, command("登记"))],
    states={WalkInState.CONTENT: [Step(register_content, msg_type("text", "voice"))]},
    fallbacks=[Step(register_cancel, command("取消"))],
)
