"""What a citizen in the demo answers to each question of the report flow, shared by the tests.

The tests drive the real conversation, so they read the bot's last question and answer it the way a
person would: a location when asked for the place, "跳过" for the phone, "确认" to submit.
"""

from __future__ import annotations

import re

CASE_NUMBER = re.compile(r"XF\d{8}-\d{4}")
COMPLAINT = "我们小区物业乱收费，电梯坏了三个月也没人修"
STAFF_REPLY = "已约物业公司周五前修复电梯"
MAX_STEPS = 8


def case_number(text: str) -> str | None:
    match = CASE_NUMBER.search(text)
    return match.group(0) if match else None


def citizen_answer(question: str) -> tuple[str, str]:
    """(kind, text) to send next: kind is "text" or "location"."""
    if "确认" in question and "提交" in question:
        return "text", "确认"
    if "地点" in question and "电话" not in question:
        return "location", ""
    return "text", "跳过"
