"""Chinese messages for the refusals of officer actions (``Outcome.reason`` → text), one table for both faces.

Chat (``handlers/texts/staff.py``) and the web console (``bot/console/labels.py``) answer the same service
outcomes; each adds only the entries that differ on its face (chat lists the valid departments and
categories, the console reports form errors).
"""

from __future__ import annotations

OUTCOME_MESSAGES = {
    "forbidden": "您无权对该事项执行此操作。",
    "status": "{number} 当前状态为“{status}”，不能执行此操作。",
    "bad_days": "天数应为 1 到 {max} 之间的整数。",
    "reason_required": "请写明理由。",
    "text_required": "请写明内容。",
    "result_required": "请写明办理结果。",
    "unknown_department": "没有名为“{department}”的部门。",
    "same_department": "{number} 已由{department}承办。",
    "ping_pong": "{number} 已多次来回转办，本次转办申请已提交督查室裁定，请等待裁定结果。",
    "already_extended": "{number} 已延期过一次（{days}天），不能再次延期。",
    "needs_confirm": "{number} 为领导包案事项，需包案领导{leader}“确认办结”后才能办结；已通知包案领导。",
    "not_leader": "只有该事项的包案领导才能确认办结。",
    "unknown_category": "没有该类别。",
    "same_category": "{number} 已是该类别。",
    "already_yours": "您已包案 {number}。",
    "held_by_other": "{number} 已由{leader}包案。",
}
