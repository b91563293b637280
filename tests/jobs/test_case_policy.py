"""Texts name the deadlines the code enforces: every number of days comes from bot.case_policy."""

from __future__ import annotations

import re
from pathlib import Path

from bot import case_policy as policy
from bot.services import notice_texts, workflow
from handlers.texts import staff as staff_texts

ROOT = Path(__file__).resolve().parents[2]
# Text modules that word deadlines; a number of days written into them would drift from the policy.
TEXT_MODULES = ["bot/services/notice_texts.py", "bot/services/workflow.py", "handlers/texts/staff.py",
                "handlers/texts/citizen.py", "handlers/texts/reception.py", "bot/services/campaign_texts.py"]
DAYS = re.compile(r"[0-9]+ ?(天|日内|日 内)")


def test_no_text_spells_a_number_of_days() -> None:
    for name in TEXT_MODULES:
        hits = [line for line in (ROOT / name).read_text(encoding="utf-8").splitlines()
                if DAYS.search(line) and not line.lstrip().startswith("#")]
        assert not hits, (name, hits)


def test_texts_are_filled_from_the_policy() -> None:
    assert f"不超过{policy.MAX_EXTENSION_DAYS}天" in staff_texts.STAFF_HELP
    assert f"不超过{policy.MAX_EXTENSION_DAYS}天" in staff_texts.USAGE["延期"]
    declined = workflow.CITIZEN_DECLINED.format(number="XF1", reason="r", **policy.DEADLINE_NUMBERS)
    assert f"{policy.REVIEW_REQUEST_WINDOW_DAYS}日内" in declined
    auto = notice_texts.AUTO_CLOSE.format(number="XF1", title="t", resolved="d", **policy.DEADLINE_NUMBERS)
    assert f"{policy.AUTO_CLOSE_DAYS} 日内" in auto and f"{policy.REVIEW_REQUEST_WINDOW_DAYS} 日内" in auto
    head = notice_texts.ESCALATION_HEAD.format(today="d", count=1, **policy.DEADLINE_NUMBERS)
    assert f"{policy.ESCALATION_DAYS} 天以上" in head


def test_the_running_deadline_follows_the_status() -> None:
    class Case:
        ack_due_at, resolve_due_at, reopened_count = "ack-due", "resolve-due", 0

    case = Case()
    for status, expected in ((policy.REGISTERED, ("ack", "ack-due")), (policy.ACCEPTED, ("resolve", "resolve-due")),
                             (policy.IN_PROGRESS, ("resolve", "resolve-due")), (policy.RESOLVED, (None, None)),
                             (policy.CLOSED, (None, None)), (policy.DECLINED, (None, None))):
        case.status = status  # type: ignore[attr-defined]
        assert policy.running_deadline(case) == expected, status
    assert set(policy.DEADLINE_CLOCKS["ack"]) | set(policy.DEADLINE_CLOCKS["resolve"]) == set(policy.OPEN_STATUSES)
