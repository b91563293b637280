"""Replies to staff, leaders and supervisors (and the binding flow).

Numbers of days are placeholders filled from ``bot.case_policy.DEADLINE_NUMBERS``, so the help
always names the limit the workflow enforces.
"""

from bot.case_policy import DEADLINE_NUMBERS
from bot.services.outcome_texts import OUTCOME_MESSAGES

# ---- binding -------------------------------------------------------------------------------------
BIND_USAGE = "请发送“绑定 绑定码”，绑定码由管理员提供。"
BIND_OK = "绑定成功。您好，{dept}{title}{name}（{role}）。发送“待办”查看需要办理的事项，发送“帮助”查看全部命令。"
BIND_ALREADY = "您已绑定为{dept}{name}（{role}），无需重复绑定。"
BIND_FAILED = "绑定码无效或已过期，请核对后重试，或请管理员重新生成。"
BIND_RATE_LIMITED = "绑定尝试次数过多，请一小时后再试。"
BIND_OPENID_TAKEN = "该微信号已绑定其他工作人员账号（{name}），如需更换请联系管理员。"

# ---- help ----------------------------------------------------------------------------------------
STAFF_HELP = (
    "工作人员命令（<案> 可用编号，或上次列表中的序号）：\n"
    "· 待办 — 本人及本单位待办事项\n"
    "· 详情 <案> — 完整信息与办理记录\n"
    "· 受理 <案> [天数] — 受理，可承诺办理天数\n"
    "· 不予受理 <案> <理由>；诉讼、仲裁、复议事项：不予受理 <案> 诉访分离 <途径>\n"
    "· 回复 <案> <内容> — 答复群众\n"
    "· 转办 <案> <部门> <理由>\n"
    "· 延期 <案> <天数> <理由> — 限一次，不超过{max_extension_days}天\n"
    "· 办结 <案> <结果>\n"
    "· 分类 <案> <类别> — 更正分类\n"
    "· 登记 [来访|来信|来电] [内容] — 代群众登记；来信可加收信日期：登记 来信 2026-11-28 内容\n"
    "· 附件 <案> [序号] — 接收群众发来的图片、语音\n"
    "· 登录 — 办公控制台一次性登录链接"
).format(**DEADLINE_NUMBERS)
LEADER_HELP = ("\n领导命令：\n· 包案 <案>\n· 督办 <案> [天数] <意见>\n· 确认办结 <案>\n"
               "· 现场办结 <案> <结果> — 接访日或带案下访时当场办结\n· 接访名单 [日期]\n· 统计")
SUPERVISOR_HELP = "\n督查室命令：\n· 督办 <案> [天数] <意见>\n· 重办 <案> <理由> — 重新办理已办结事项\n· 统计"

# ---- lists and details ---------------------------------------------------------------------------
TODO_EMPTY = "目前没有待办事项。"
TODO_HEADER = "待办事项（{count}件，按期限排序；可用序号代替编号）："
TODO_LINE = "{index}. {number} [{status}] {title} — {dept}，{due_label}{due}{flags}"
TODO_MORE = "……另有{more}件未列出。"
DUE_ACK = "受理期限"
DUE_RESOLVE = "办结期限"
OVERDUE_FLAG = " ⚠已超期"
URGENT_FLAG = " ❗紧急"
LEADER_FLAG = " 〔包案〕"

DETAIL = (
    "{number} [{status}]\n"
    "标题：{title}\n"
    "内容：{content}\n"
    "类别：{group} / {category}（{kind}）\n"
    "承办单位：{dept}\n"
    "来源：{source}\n"
    "群众：{citizen}\n"
    "电话：{phone}\n"
    "地点：{location}\n"
    "首问责任人：{owner}\n"
    "包案领导：{leader}\n"
    "受理期限：{ack_due}\n"
    "办结期限：{resolve_due}\n"
    "{extra}"
    "办理记录：\n{log}"
)
ATTACHMENTS = "附件（{count}个，发送“附件 {number} 序号”接收）：\n{lines}\n"
ATTACHMENT_LINE = "  {index}. {label} {at}{heard}{state}"
ATTACHMENT_STATES = {"stored": "", "pending": "（下载中）", "lost": "（已过期丢失）"}
ATTACHMENTS_SENT = "正在发送 {number} 的附件 {sent}，请稍候查收。"
ATTACHMENTS_MORE = "\n另有{more}个附件，请发送“附件 {number} 序号”逐个接收。"
ATTACHMENT_ERRORS = {
    "none": "{number} 没有图片或语音附件。",
    "bad_index": "{number} 共有{count}个附件，请发送“附件 {number} 序号”（序号见“详情 {number}”）。",
    "unavailable": "{number} 的该附件尚未下载或已过期丢失，无法发送。发送“详情 {number}”查看附件状态。",
}
LOG_LINE = "· {at} {actor} {action}{text}"
# ---- command results -----------------------------------------------------------------------------
NOT_FOUND = "未找到该事项，或您无权查看。请发送“待办”查看列表，再用序号或编号。"
USAGE = {
    "详情": "用法：详情 <编号或序号>",
    "受理": "用法：受理 <编号或序号> [承诺办理天数]",
    "不予受理": "用法：不予受理 <编号或序号> <理由>",
    "回复": "用法：回复 <编号或序号> <内容>",
    "转办": "用法：转办 <编号或序号> <部门> <理由>",
    "延期": "用法：延期 <编号或序号> <天数> <理由>（限一次，不超过{max_extension_days}天）".format(**DEADLINE_NUMBERS),
    "办结": "用法：办结 <编号或序号> <办理结果>",
    "分类": "用法：分类 <编号或序号> <类别>",
    "包案": "用法：包案 <编号或序号>",
    "督办": "用法：督办 <编号或序号> [天数] <督办意见>",
    "确认办结": "用法：确认办结 <编号或序号>",
    "重办": "用法：重办 <编号或序号> <理由>",
    "现场办结": "用法：现场办结 <编号或序号> <办理结果>",
    "附件": "用法：附件 <编号或序号> [附件序号]",
}
ACCEPTED = "已受理 {number}，您为首问责任人，办结期限：{due}。已告知群众。"
ACCEPTED_NOT_OWNER = "已受理 {number}，首问责任人：{owner}，办结期限：{due}。已告知群众。"
DECLINED = "已不予受理 {number}，理由已告知群众。"
DECLINED_SEPARATED = "已按诉访分离不予受理 {number}，已告知群众向{body}提出（{route}途径）及申请期限。"
DECLINED_SEPARATED_NO_CITIZEN = ("已按诉访分离不予受理 {number}。该事项无微信联系方式，请电话或书面告知群众：\n{notice}")
SEPARATION_ROUTES = "{problem}，{number} 未作处理。可用途径：{routes}。例如：不予受理 {number} 诉访分离 {first}"
SEPARATION_UNKNOWN = "诉访分离途径“{word}”无法识别"
SEPARATION_MISSING = "请写明诉访分离途径"
NOTE_TRIAGE = "分流原因：{reason}\n"
NOTE_SEPARATION = "诉访分离建议：{route}；如确认，发送“不予受理 {number} 诉访分离 {word}”\n"
NOTE_HOLIDAYS = "期限提示：{years} 年{note}（请在节假日文件中补上该年）\n"
REPLIED = "已回复 {number}，消息将发送给群众。"
REPLIED_NO_CITIZEN = "已记录对 {number} 的回复（该事项无微信联系方式，请电话或书面告知群众）。"
TRANSFERRED = "已将 {number} 转至{dept}，首问责任人不变，双方及群众已获通知。"
RULED_STAYS = "已裁定 {number} 仍由{dept}承办，双方单位和首问责任人已获通知。"
EXTENDED = "已延期 {number} {days}天，新期限：{due}。已告知群众。"
RESOLVED = "已办结 {number}，处理意见和评价邀请已发送给群众。"
RESOLVED_ON_THE_SPOT = "已现场办结 {number}，处理意见和评价邀请已发送给群众。"
CONFIRMED = "已确认 {number} 可以办结，承办人员将收到通知。"
RECATEGORISED = "已将 {number} 的类别由“{old}”改为“{new}”（{group}），该更正将用于改进分类规则。"
TAKEN = "已包案 {number}，此后该事项的每个进展都会通知您；办结前需您“确认办结”。"
SUPERVISED = "已向承办单位发出督办 {number}{due_text}。"
REOPENED = "已重新办理 {number}，承办单位和首问责任人已获通知。"

ERRORS = {
    **OUTCOME_MESSAGES,
    "unknown_department": "没有名为“{department}”的部门。可选部门：{departments}",
    "unknown_category": "没有该类别。可选类别：{categories}",
    "future_date": "收信日期 {date} 晚于今天，未登记。请核对信封上的日期。",
}

# ---- walk-in registration ------------------------------------------------------------------------
REGISTER_ASK = "请输入{source}群众反映的问题（可在内容中写明姓名和电话）。发送“取消”放弃登记。"
REGISTER_CANCELLED = "已取消登记。"
NOTHING_TO_CANCEL = "当前没有进行中的登记或记录，无需取消。发送“待办”查看事项，发送“帮助”查看全部命令。"
REGISTER_DONE = ("已登记 {number}（{source}）：{title}\n类别：{category}，承办单位：{dept}，受理期限：{due}。"
                 "您为首问责任人。")
REGISTER_RECEIVED = "\n收信日期：{date}，受理期限自该日起算。"
REGISTER_TRIAGE = "\n已转分流窗口：{reason}。"
REGISTER_SEPARATION = "\n可能属于诉访分离事项（建议途径：{route}）；如确认，请发送“不予受理 {number} 诉访分离 {route}”。"
REGISTER_ALERTED = "\n含群体性苗头，已预警督查室和分管领导（{count} 人）。"
REGISTER_UNKNOWN_SOURCE = ("来源“{word}”无法识别，未登记。可用的来源：{words}，"
                           "如“登记 来电 内容”；来信可加收信日期，如“登记 来信 2026-11-28 内容”；不写来源按来访登记。")
REGISTER_BAD_DATE = "收信日期“{word}”无效，未登记。请写成如 2026-11-28 或 11月28日。"

UNKNOWN_COMMAND = "没有识别出这条指令。工作账号的消息不会登记为群众来信；代群众登记请用“登记 内容”（来信、来电：“登记 来信 内容”“登记 来电 内容”）。"
