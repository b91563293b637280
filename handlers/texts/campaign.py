"""Replies of the campaign commands (活动, 排查, 下访记录, 回头看, 答复建议) and the citizen's 建议."""

PROBLEM_KINDS = ("矛盾纠纷", "苗头隐患", "群体性风险", "信访突出问题")

NO_CAMPAIGN = "当前没有进行中的大下访活动。"
STATUS_HEAD = "【{campaign}】{first}至{last}\n当前阶段：{phase}"
STATUS_BETWEEN = "（阶段间隙）"
STATUS_PHASE_LINE = "{mark}{name}：{start}至{end}"
STATUS_DEPT = "{dept}（责任领导：{leader}）：登记 {registered} 件，化解 {resolved} 件，化解率 {rate}，超期 {overdue} 件，回头看 {reviewed} 件"
STATUS_VISITS = "下访场次："
STATUS_VISIT_LINE = "场次{id}：{day} {form} {place}{recorded}"
STATUS_SUGGESTIONS = "三问建议：共 {total} 条，待答复 {pending} 条"
STATUS_HINT = "发送“排查”登记问题，“下访记录 场次”登记下访成果，“回头看 编号 已解决|反弹 说明”。"

ASK_CONTENT = "【排查登记】请描述排查发现的问题（矛盾纠纷、苗头隐患等）。发送“取消”放弃。"
ASK_PLACE = "请发送问题所在地点（如“XX街道XX小区”），没有请回复“跳过”。"
ASK_PEOPLE = "涉及多少人？请回复数字（不清楚请回复“跳过”）。"
ASK_RISK = "稳定风险等级？请回复：一般 / 较大 / 重大。"
ASK_KIND = "问题类型？请回复序号或名称：1 矛盾纠纷  2 苗头隐患  3 群体性风险  4 信访突出问题"
BAD_PEOPLE = "请回复人数（数字），或“跳过”。"
BAD_RISK = "风险等级只能是：一般 / 较大 / 重大。"
TOO_SHORT = "内容太短，请具体描述问题。"
CANCELLED = "已取消排查登记。"
REGISTERED = ("已登记排查问题 {number}「{title}」\n活动：{campaign}；承办单位：{dept}；风险等级：{risk}；类型：{kind}\n"
              "受理告知期限：{due}。")
MAJOR_SENT = "已同时报告部门责任领导和督查室。"

ERRORS = {
    "no_campaign": NO_CAMPAIGN,
    "not_participating": "您所在单位未参加当前大下访活动，无法登记。",
    "forbidden": "您无权办理该事项。",
    "status": "该事项当前状态为“{status}”，不能进行此操作。",
    "not_campaign": "{number} 不是大下访活动事项。",
    "reason_required": "请写明说明。",
    "not_found": "未找到该编号，或您无权查看。",
    "bad_adoption": "采纳情况只能是：采纳 / 部分采纳 / 留作参考。",
    "text_required": "请写明答复内容。",
    "already_answered": "该建议已答复（{adoption}）。",
    "needs_confirm": "包案事项需包案领导确认办结。",
}

VISIT_USAGE = "用法：下访记录 场次号（发送“活动”查看场次）"
VISIT_NOT_FOUND = "未找到场次{id}，或您不是该场次的参加人员。"
VISIT_ASK_PEOPLE = "【下访记录·场次{id}】{day} {form} {place}\n携带案件：{cases}\n本次接待群众多少人？请回复数字。"
VISIT_ASK_NEW = "新发现的问题请逐条发送，每行一条（将登记为下访事项）；没有请回复“无”。"
VISIT_ASK_CLOSED = "当场化解的事项请按“编号 结果”每行一条发送；没有请回复“无”。"
VISIT_BAD_PEOPLE = "请回复接待人数（数字）。"
VISIT_BAD_CLOSED = "第{line}行无法识别：{text}（格式：编号 结果，编号须为您可办理的事项）"
VISIT_DONE = "已记录场次{id}的下访成果：接待群众 {people} 人，新登记问题 {new} 件{new_numbers}，当场化解 {closed} 件{closed_numbers}。"
VISIT_FAILED = "\n以下事项未能办结：{items}"
VISIT_CANCELLED = "已取消下访记录。"

REVIEW_USAGE = "用法：回头看 编号 已解决|反弹 说明"
REVIEW_DONE = "已记录 {number} 回头看：已解决。"
REVIEW_REBOUND = "已记录 {number} 回头看：反弹。事项已重新办理，请抓紧化解。"

ANSWER_USAGE = "用法：答复建议 编号 采纳|部分采纳|留作参考 答复内容"
ANSWER_DONE = "已答复建议 {number}（{adoption}），已告知群众。"

SUGGEST_ASK = ("【问政·问计·问需于民】{campaign}正在集中下访，欢迎您对政府工作提出意见建议。\n"
               "请直接发送您的建议内容；发送“取消”放弃。")
SUGGEST_CLOSED = "目前不在大下访活动集中下访阶段，暂不征集建议。您反映的具体问题可直接发送，我们会登记办理。"
SUGGEST_DONE = "感谢您的建议！已登记为 {number}，由{dept}研究答复，答复后会第一时间告诉您。"
SUGGEST_CANCELLED = "已取消提交建议。"
SUGGEST_TOO_SHORT = "建议内容太短，请具体写一写。"
