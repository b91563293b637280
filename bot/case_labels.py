"""Chinese words for a case's sources and its event-log actions, as staff read them.

One table for every face that shows them to staff: the chat's 详情 (``handlers/texts/staff.py``),
the web console, the ledgers and the campaign ledger. The citizen's own view words a few actions
differently (``handlers/texts/citizen.py``: "答复", "领导包案").
"""

from __future__ import annotations

ACTION_LABELS = {
    "register": "登记", "accept": "受理", "decline": "不予受理", "start": "开始办理", "reply": "回复",
    "transfer": "转办", "transfer_disputed": "申请转办（退单，提交督查室裁定）", "extend": "延期",
    "resolve": "办结", "resolve_requested": "申请办结（待包案领导确认）", "confirm_resolve": "确认办结",
    "recategorise": "更正分类", "take_charge": "包案", "supervise": "督办", "reopen": "重新办理",
    "rate": "评价", "close": "结案", "supplement": "补充材料", "review_request": "申请复查/复核",
    "triage_reason": "转分流窗口", "separation_suggested": "建议诉访分离", "group_risk_alert": "群体性苗头预警",
    "group_risk_joined": "并入群体性苗头", "repeat_link": "关联重信重访", "repeat_linked": "被关联为重信重访",
    "rate_reason": "不满意理由", "visit_closed": "下访现场办结", "campaign_review": "回头看核查",
    "follow_up_asked": "回头看询问", "follow_up_answer": "回头看回复", "media_lost": "附件丢失",
    "transfer_ruling": "督查室裁定",
}

# ``cases.source``: how the matter reached the office (信访形式).
SOURCE_LABELS = {"wechat": "微信公众号", "reception": "来访", "letter": "来信", "phone": "来电",
                 "排查": "排查", "下访": "下访"}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def source_label(source: str | None) -> str:
    return SOURCE_LABELS.get(source or "", source or "")
