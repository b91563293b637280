"""Campaign timed work (§9): phase start/end reminders to each department's responsible leader, the
weekly progress digest to 督查室, and the 回头看 list to case owners when 检查总结 starts.

Like the other jobs, each one recomputes from the database and ``rt.now()`` what is due and makes
it once-only through outbox dedupe keys that name the campaign, the phase (with its dates, so moving
a phase re-arms its reminders) or the week. A notice is due from its moment until the phase (or the
week) is over, so a scheduler that was down at the moment still sends it when it is back, and never
sends a stale one afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from bot.jobs.job import Job
from bot.outbox import notify_people, notify_person
from bot.runtime import Runtime
from bot.services import campaign as svc
from bot.services import campaign_texts as texts
from bot.services import campaign_work as work
from bot.services import people as people_service
from storage.models import Person

NOTICE_TIME = time(9, 0)
# The phase-end reminder goes out this many days before the phase's last day.
END_NOTICE_DAYS = 3
DIGEST_WEEKDAY = 0  # Monday


def _at(rt: Runtime, day: date, moment: time = NOTICE_TIME) -> datetime:
    return datetime.combine(day, moment, tzinfo=rt.tz)


def _end_of(rt: Runtime, day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=rt.tz)


async def phase_reminders(rt: Runtime) -> int:
    sent = 0
    now = rt.now()
    today = rt.local_now().date()
    async with rt.sessions() as session, session.begin():
        for campaign in await svc.all_campaigns(session):
            phases = await svc.phases_of(session, campaign.id)
            if not phases or not phases[0].starts_on <= today <= phases[-1].ends_on:
                continue
            by_dept = await svc.figures_by_department(session, rt, campaign)
            for phase in phases:
                over = _end_of(rt, phase.ends_on)
                start_at = _at(rt, phase.starts_on)
                end_at = max(_at(rt, phase.ends_on - timedelta(days=END_NOTICE_DAYS)), start_at)
                dates = f"{phase.starts_on.isoformat()}~{phase.ends_on.isoformat()}"
                for kind, moment in (("start", start_at), ("end", end_at)):
                    if not moment <= now < over:
                        continue
                    for cd, figures in by_dept:
                        if cd.leader is None:
                            continue
                        values = svc.figure_values(figures)
                        if kind == "start":
                            text = texts.PHASE_START.format(
                                campaign=campaign.name, phase=phase.name, start=phase.starts_on.isoformat(),
                                end=phase.ends_on.isoformat(), tasks=texts.PHASE_TASKS[phase.name], **values)
                        else:
                            text = texts.PHASE_END.format(
                                campaign=campaign.name, phase=phase.name, end=phase.ends_on.isoformat(),
                                left=(phase.ends_on - today).days, **values)
                        sent += await notify_person(
                            session, rt, cd.leader, kind=f"campaign_phase_{kind}", text=text,
                            dedupe_key=f"campaign_phase_{kind}:c{campaign.id}:{phase.seq}:{dates}:d{cd.department_id}",
                            fields={"campaign": campaign.name, "phase": phase.name, "content": text[:200]})
    return sent


def digest_text(rt: Runtime, campaign_name: str, phase: str, rows: list[tuple[svc.CampaignDepartment, svc.Figures]]) -> str:
    lines = [texts.DIGEST_HEAD.format(campaign=campaign_name, today=rt.local_now().date().isoformat(), phase=phase)]
    total = svc.Figures()
    for i, (cd, figures) in enumerate(rows, 1):
        total.add(figures)
        lines.append(texts.DIGEST_LINE.format(i=i, dept=cd.department.name, leader=cd.leader.name if cd.leader else "—",
                                              **svc.figure_values(figures)))
    lines.append(texts.DIGEST_TOTAL.format(**svc.figure_values(total)))
    return "\n".join(lines)


async def weekly_digest(rt: Runtime) -> int:
    """Every Monday from 09:00 during a campaign: per-department progress to 督查室."""
    sent = 0
    now = rt.now()
    today = rt.local_now().date()
    monday = today - timedelta(days=(today.weekday() - DIGEST_WEEKDAY) % 7)
    if now < _at(rt, monday):
        return 0
    async with rt.sessions() as session, session.begin():
        for current in await svc.running(session, rt, monday):
            rows = await svc.figures_by_department(session, rt, current.campaign)
            phase = current.phase.name if current.phase else "—"
            text = digest_text(rt, current.campaign.name, phase, rows)
            total = svc.Figures()
            for _, figures in rows:
                total.add(figures)
            # Template messages show only their fields: the totals go there, the lines stay in content.
            fields = {"campaign": current.campaign.name, "phase": phase, **svc.figure_values(total),
                      "content": text[:200]}
            sent += await notify_people(
                session, rt, await svc.lead_office_people(session, current.campaign), kind="campaign_digest",
                text=text, dedupe_key=f"campaign_digest:c{current.campaign.id}:{monday.isoformat()}", fields=fields)
    return sent


async def review_lists(rt: Runtime) -> int:
    """From 09:00 on the first day of 检查总结: each owner gets their resolved campaign cases to 回头看."""
    sent = 0
    now = rt.now()
    async with rt.sessions() as session, session.begin():
        for campaign in await svc.all_campaigns(session):
            phases = await svc.phases_of(session, campaign.id)
            if len(phases) < 4:
                continue
            review = phases[3]
            if not _at(rt, review.starts_on) <= now < _end_of(rt, review.ends_on):
                continue
            owners: dict[int, Person] = {}
            lists: dict[int, list] = defaultdict(list)  # type: ignore[type-arg]
            for case in await work.review_candidates(session, campaign.id):
                receivers = [case.owner] if case.owner is not None and case.owner.openid else \
                    await people_service.people_of_department(session, case.department_id, ("staff",))
                for person in receivers:
                    owners[person.id] = person
                    lists[person.id].append(case)
            key = f"campaign_review_list:c{campaign.id}:{review.starts_on.isoformat()}"
            for person_id, cases in lists.items():
                lines = [texts.REVIEW_LIST_HEAD.format(campaign=campaign.name, end=review.ends_on.isoformat(),
                                                       count=len(cases))]
                lines += [texts.REVIEW_LIST_LINE.format(i=i, number=c.number, title=c.title, dept=c.department.name)
                          for i, c in enumerate(cases, 1)]
                lines.append(texts.REVIEW_LIST_TAIL)
                text = "\n".join(lines)
                sent += await notify_person(session, rt, owners[person_id], kind="campaign_review_list", text=text,
                                            dedupe_key=key, fields={"campaign": campaign.name, "content": text[:200]})
    return sent


# What the scheduler runs from this module, and how often it looks (bot.jobs.scheduler).
JOBS = (
    Job("campaign_phase_reminders", phase_reminders, timedelta(minutes=10)),
    Job("campaign_weekly_digest", weekly_digest, timedelta(minutes=10)),
    Job("campaign_review_lists", review_lists, timedelta(minutes=10)),
)
