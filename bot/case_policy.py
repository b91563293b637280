"""Case policy in one place: statuses, transitions, who may do what, and every deadline number.

Services (``bot.services``), the timed jobs (``bot.jobs``), the read-side queries and the texts read
these names; nothing else spells a status set or a number of days. Storage queries take the status
sets they filter on as parameters, so the database layer decides nothing about policy. Texts take
the numbers as format parameters (``DEADLINE_NUMBERS``), so a notice always names the deadline the
code enforces.

Changing a deadline is an edit here (and a test); the per-category overrides of the rules file
(``ack_days``/``resolve_days``) still win for the categories they name.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

# ---- statuses ------------------------------------------------------------------------------------

REGISTERED, ACCEPTED, DECLINED, IN_PROGRESS, RESOLVED, CLOSED = (
    "registered", "accepted", "declined", "in_progress", "resolved", "closed")
STATUSES = (REGISTERED, ACCEPTED, DECLINED, IN_PROGRESS, RESOLVED, CLOSED)
OPEN_STATUSES = (REGISTERED, ACCEPTED, IN_PROGRESS)
# A citizen may add material (补充) while the case is open or awaiting their rating.
SUPPLEMENTABLE_STATUSES = (*OPEN_STATUSES, RESOLVED)
# Staff can no longer reply to, or a leader take charge of, a case in these.
FINISHED_STATUSES = (DECLINED, CLOSED)

STATUS_LABELS = {
    REGISTERED: "已登记",
    ACCEPTED: "已受理",
    DECLINED: "不予受理",
    IN_PROGRESS: "办理中",
    RESOLVED: "已办结",
    CLOSED: "已结案",
}

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({REGISTERED}), ACCEPTED),
    "decline": (frozenset({REGISTERED}), DECLINED),
    "start": (frozenset({ACCEPTED}), IN_PROGRESS),
    "resolve": (frozenset({ACCEPTED, IN_PROGRESS}), RESOLVED),
    "close": (frozenset({RESOLVED}), CLOSED),
    "reopen": (frozenset({RESOLVED, CLOSED}), IN_PROGRESS),
}


def can(status: str, action: str) -> bool:
    """May a case in ``status`` take ``action`` (a key of ``TRANSITIONS``)?"""
    allowed, _ = TRANSITIONS[action]
    return status in allowed


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


# ---- the running deadline -------------------------------------------------------------------------

# Which deadline clock runs in which statuses: 受理告知 while registered, 办结 while being worked on.
ACK_CLOCK_STATUSES = (REGISTERED,)
RESOLVE_CLOCK_STATUSES = (ACCEPTED, IN_PROGRESS)
DEADLINE_CLOCKS = {"ack": ACK_CLOCK_STATUSES, "resolve": RESOLVE_CLOCK_STATUSES}


def running_deadline(case: Any) -> tuple[str | None, Any]:
    """(kind, due) of the deadline running on ``case``: ``ack``, ``resolve`` (``review`` once a
    不满意 reopened it), or (None, None) when no clock runs."""
    if case.status in ACK_CLOCK_STATUSES:
        return "ack", case.ack_due_at
    if case.status in RESOLVE_CLOCK_STATUSES:
        return ("review" if case.reopened_count else "resolve"), case.resolve_due_at
    return None, None


# ---- every number of days ---------------------------------------------------------------------------

ACK_DAYS = 15  # 受理告知: 15 days from registration (信访工作条例 art. 32)
RESOLVE_DAYS = 60  # 办结: 60 days from acceptance (art. 35)
MAX_EXTENSION_DAYS = 30  # one extension, at most 30 days
MAX_COMMITTED_DAYS = RESOLVE_DAYS  # 受理 案 天数: a shorter promise, never a longer one
MAX_SUPERVISION_DAYS = RESOLVE_DAYS  # 督办 案 天数
REVIEW_DAYS = 30  # a reopened case (不满意, 重办) gets this long again
REVIEW_REQUEST_WINDOW_DAYS = 30  # 申请复查 within 30 days of a decline or result notice
AUTO_CLOSE_DAYS = 7  # resolved and not rated for 7 days: closed
NEAR_DUE_DAYS = 3  # 临期提醒 this many days before a deadline
ESCALATION_DAYS = 3  # overdue this many days: in 督查室's daily digest
FOLLOW_UP_DAYS = 30  # 回头看 this many days after closing
# A 回头看 missed for longer than this (scheduler down for a week) is not sent any more.
FOLLOW_UP_CATCH_UP = timedelta(days=7)
# Which closed cases get a 回头看: rated 基本满意 (2) or 不满意 (3), or held by a leader (包案).
FOLLOW_UP_SATISFACTION = (2, 3)
# Transfers after which a transfer back to an earlier department is 退单 ping-pong for 督查室.
PING_PONG_AFTER = 2
# A 补充 session ends after this long without a message (one summary, one notice).
SUPPLEMENT_SILENCE = timedelta(minutes=10)
# A 回头看 answered "仍有问题" this soon after closing reopens the case; later it opens a linked case.
FOLLOW_UP_REOPEN_WITHIN = timedelta(days=90)
# An unanswered 回头看 question still takes an answer for this long.
FOLLOW_UP_ANSWER_WINDOW = timedelta(days=30)
# An unfinished report draft is kept; the citizen is reminded once after this long.
DRAFT_REMINDER_AFTER = timedelta(minutes=30)

# When the daily jobs act (local time); the interval a job is polled at is in bot.jobs.scheduler.
DAILY_ALERT_TIME = time(9, 0)
FOLLOW_UP_TIME = time(10, 0)

# The numbers texts name, as format parameters ("{review_request_days}日内").
DEADLINE_NUMBERS: dict[str, int] = {
    "ack_days": ACK_DAYS, "resolve_days": RESOLVE_DAYS, "max_extension_days": MAX_EXTENSION_DAYS,
    "review_days": REVIEW_DAYS, "review_request_days": REVIEW_REQUEST_WINDOW_DAYS,
    "auto_close_days": AUTO_CLOSE_DAYS, "near_due_days": NEAR_DUE_DAYS, "escalation_days": ESCALATION_DAYS,
    "follow_up_days": FOLLOW_UP_DAYS, "max_committed_days": MAX_COMMITTED_DAYS,
}

# ---- who may do what ---------------------------------------------------------------------------------

CITIZEN, STAFF, LEADER, SUPERVISOR, ADMIN, SYSTEM = "citizen", "staff", "leader", "supervisor", "admin", "system"
STAFF_ROLES = frozenset({STAFF, LEADER, SUPERVISOR, ADMIN})  # bound officers: every staff command
SUPERVISE_ROLES = frozenset({LEADER, SUPERVISOR, ADMIN})  # 督办
TAKE_CHARGE_ROLES = frozenset({LEADER})  # 包案, 确认办结
REOPEN_ROLES = frozenset({SUPERVISOR, ADMIN})  # 重办
SEE_ALL_ROLES = frozenset({SUPERVISOR, ADMIN})  # every case
# A whistleblower's identity (检举控告类): the supervisor, and the 信访 office (the triage department).
IDENTITY_ROLES = frozenset({SUPERVISOR})
STATISTICS_ROLES = frozenset({LEADER, SUPERVISOR})  # 统计

ROLE_LABELS = {CITIZEN: "群众", STAFF: "工作人员", LEADER: "领导", SUPERVISOR: "督查室", ADMIN: "管理员",
               SYSTEM: "系统"}

# 检举控告类: the reporter's identity stays with the 信访 office and the supervisor (条例 art. 30).
CONFIDENTIAL_KIND = "检举控告类"


def can_see(person: Any, case: Any) -> bool:
    """Staff: their department's cases and cases they own (首问); leaders: also cases they hold
    (包案); supervisors and admins: every case. An inactive or missing person sees nothing."""
    if person is None or not person.active:
        return False
    if person.role in SEE_ALL_ROLES:
        return True
    if case.owner_id == person.id or case.leader_id == person.id:
        return True
    return person.department_id is not None and case.department_id == person.department_id


def may_act_on(person: Any, case: Any = None) -> bool:
    """A bound, active officer who can see ``case`` (any case when None)."""
    if person is None or not person.active or person.role not in STAFF_ROLES:
        return False
    return case is None or can_see(person, case)


def sees_identity(person: Any, case: Any) -> bool:
    """Whether ``person`` sees who reported ``case``: on a 检举控告类 case only an active supervisor or a
    member of the 信访 office (the triage department, ``is_triage``); ``person=None`` (a file, a notice
    with no reader) never. ``bot.services.masking`` applies it to every screen, notice and ledger."""
    if getattr(case, "kind", None) != CONFIDENTIAL_KIND:
        return True
    return sees_informants(person)


def sees_informants(person: Any) -> bool:
    """Whether ``person`` sees who reported a 检举控告类 case (the person's half of ``sees_identity``)."""
    if person is None or not getattr(person, "active", False):
        return False
    if person.role in IDENTITY_ROLES:
        return True
    department = getattr(person, "department", None)
    return bool(department is not None and getattr(department, "is_triage", False))
