"""Chinese templates of the notifications the timed jobs and the reception service send.

They live with the services (not in ``handlers/texts``) because ``bot`` must not import ``handlers``
and services must not import the jobs. Each one names the case or session, the deadline, how late,
and the command to act on it; numbers of days are format parameters filled from
``bot.case_policy.DEADLINE_NUMBERS``, never written into the text.
"""

DEADLINE_LABELS = {"ack": "受理告知期限", "resolve": "办结期限"}
DEADLINE_COMMANDS = {
    "ack": "发送“受理 {number}”受理，或“不予受理 {number} 理由”",
    "resolve": "发送“办结 {number} 结果”办结，或“延期 {number} 天数 理由”申请延期",
}

NEAR_DUE = (
    "【临期提醒】{number}「{title}」\n"
    "{deadline}：{due}，还剩 {left} 天。\n"
    "请{command}。发送“详情 {number}”查看。"
)

OVERDUE = (
    "【超期提醒】{number}「{title}」\n"
    "{deadline}：{due}，已超期 {late} 天。\n"
    "请{command}。发送“详情 {number}”查看。"
)

ESCALATION_HEAD = "【超期督办建议】截至{today}，以下 {count} 件事项超期 {escalation_days} 天以上：\n"
ESCALATION_LINE = "{i}. {number}「{title}」{department} · {deadline}{due} · 超期 {late} 天"
ESCALATION_MORE = "……另有 {more} 件，发送“待办”查看全部。"
ESCALATION_TAIL = "\n建议督办：发送“督办 编号 [天数] 意见”。"

AUTO_CLOSE = (
    "您反映的事项 {number}「{title}」已于{resolved}办结，{auto_close_days} 日内未收到评价，现已结案。\n"
    "如对处理结果有异议，可在办结之日起 {review_request_days} 日内发送“申请复查 {number}”。"
)

FOLLOW_UP_CITIZEN = (
    "【回头看】您反映的事项 {number}「{title}」已于{closed}结案。\n"
    "问题现在是否真正解决？请直接回复您的意见；仍有问题可发送“补充 {number}”补充情况。"
)
FOLLOW_UP_OWNER = (
    "【回头看】{number}「{title}」结案已满 {follow_up_days} 天（{reason}），请回访群众、核实问题是否真正解决，"
    "并将情况“回复 {number} 内容”告知群众。"
)
FOLLOW_UP_REASONS = {2: "群众评价：基本满意", 3: "群众评价：不满意", None: "领导包案事项"}

RECEPTION_EVE_LEADER = (
    "【明日接访】{when}\n地点：{place}（{form}）\n已预约 {count} 批次：\n{lines}\n"
    "发送“接访名单 {day}”可随时查看。"
)
RECEPTION_EVE_NONE = "（暂无群众预约）"
RECEPTION_VISITOR_LINE = "{i}. {subject} · {people} 人"
RECEPTION_MORNING = (
    "【今日接访提醒】{when}\n地点：{place}（{form}），已预约 {count} 批次。\n发送“接访名单”查看来访群众及案情。"
)
RECEPTION_CITIZEN_REMINDER = (
    "【接访提醒】您预约了{when}的{title}{form}。\n地点：{place}。\n"
    "请携带身份证件和相关材料按时到场，人数不超过 {people} 人。如不能前来，请发送“取消预约”。"
)
RECEPTION_CANCELLED = (
    "【接访取消】很抱歉，{when}{title}在{place}的接访因{reason}取消，您的预约已作废。\n"
    "发送“接访安排”可重新预约其他场次。"
)
