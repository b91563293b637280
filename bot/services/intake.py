"""One intake for every channel: a chat report, a staff 登记 (来访/来信/来电), a campaign 排查
registration or a CSV import row all become a case through `take_in`, the same steps in the same order:

1. categorise (category, group, department, kind, alarm words in context, 诉访分离 route);
2. file the case with its deadlines counted from the receipt date (the envelope date of a letter,
   the day a 排查 problem was found), not from the moment staff typed it in;
3. note for staff why it went to the triage desk, and which legal route it belongs to (诉访分离);
4. repeat detection (重信重访) and the group-risk check with its alerts (``bot.services.risk``);
5. the new-case notice to the routed department.

Channels differ only in the values they pass (`Intake`); nothing here reads a chat message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services import risk
from bot.services.cases import Actor, file_case, notify_new_case, record
from nlp import Decision
from storage.models import Attachment, Case

# Staff name the channel of a 登记 with one of these words (信访工作条例: 来信、来电、来访).
SOURCE_WORDS = {"来访": "reception", "来信": "letter", "来电": "phone"}
SOURCE_WORD_OF = {source: word for word, source in SOURCE_WORDS.items()}


@dataclass(frozen=True)
class Intake:
    """Everything a channel knows about a new matter, as plain values."""

    content: str
    source: str
    actor: Actor
    openid: str | None = None
    citizen_name: str | None = None
    phone: str | None = None
    location_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    attachments: list[Attachment] = field(default_factory=list)
    campaign_id: int | None = None
    risk_level: str | None = None
    department_name: str | None = None
    # The day the matter reached the office (a letter's envelope, a 排查 visit); None = now.
    received_on: date | None = None
    # A decision made earlier (the citizen confirmed it in the chat); None = categorise now.
    decision: Decision | None = None
    notify_department: bool = True


@dataclass
class Intaken:
    case: Case
    decision: Decision
    assessed: risk.RiskResult


async def take_in(session: AsyncSession, rt: Runtime, intake: Intake) -> Intaken:
    """File ``intake`` as a case and run every intake step on it (same transaction, nothing committed)."""
    decision = intake.decision or rt.categoriser.categorise(intake.content)
    case = await file_case(
        session, rt, content=intake.content, decision=decision, actor=intake.actor, openid=intake.openid,
        source=intake.source, location_text=intake.location_text, latitude=intake.latitude,
        longitude=intake.longitude, phone=intake.phone, citizen_name=intake.citizen_name,
        attachments=intake.attachments, campaign_id=intake.campaign_id, risk_level=intake.risk_level,
        department_name=intake.department_name, received_at=received_at(rt, intake.received_on),
    )
    await note_routing(session, rt, case, decision)
    assessed = await risk.assess_new_case(session, rt, case)
    if intake.notify_department:
        await notify_new_case(session, rt, case)
    return Intaken(case, decision, assessed)


def received_at(rt: Runtime, day: date | None) -> datetime | None:
    """The start of the receipt day in the office's timezone (deadlines count whole days from it)."""
    if day is None or day >= rt.local_now().date():
        return None
    return datetime.combine(day, time(0, 0), tzinfo=rt.tz)


async def note_routing(session: AsyncSession, rt: Runtime, case: Case, decision: Decision) -> None:
    """What staff must see before acting: why the triage desk has it, the legal route it belongs to."""
    if decision.reason:
        await record(session, rt, case, action="triage_reason", actor=Actor.system(), public=False,
                     text=decision.reason, data={"score": round(decision.score, 4)})
    if decision.separation:
        route = rt.categoriser.rules.separation_route(decision.separation)
        if route is not None:
            await record(session, rt, case, action="separation_suggested", actor=Actor.system(), public=False,
                         text=f"{route.name}（{route.body}）", data={"route": route.name})
