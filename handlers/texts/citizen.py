"""Citizen-facing reply texts (Chinese). Each reply is short and ends with the next step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.case_policy import STAFF_ROLES
from handlers.texts import common


@dataclass(frozen=True)
class Reply:
    """A reply template key and its values, worded by ``render``."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


TEMPLATES: dict[str, str] = {
    # report flow
    "ask_place": ("已收到您反映的问题，初步归类为“{category}”，将转交{department}办理。{truncated}\n"
                  "请发送问题发生的地点：点“+”发送位置，或直接输入地址；不便提供请回复“跳过”。"),
    "ask_phone_after_content": ("已收到您反映的问题，初步归类为“{category}”，将转交{department}办理。{truncated}\n"
                                "请留下联系电话，方便工作人员联系您；不便提供请回复“跳过”。"),
    "media_first": "已收到。请再用文字或语音说明遇到了什么问题（什么事、在哪里、从什么时候开始）。",
    "location_first": "已记录位置：{place}。请用文字或语音说明遇到了什么问题。",
    "media_added": "已收到附件（共{count}个），将随本次反映一并提交。{prompt}",
    "draft_attachments_full": ("未提交的反映最多可附 {limit} 个图片、语音或视频，这一个没有收下。"
                               "请先回复“确认”提交或“取消”放弃，再发送新的附件。"),
    "case_limit": "您在一小时内已提交 {limit} 件反映，请稍后再回复“确认”提交这一件；内容已为您保留。",
    "location_added": "已记录位置：{place}。{prompt}",
    "ask_phone": "地点：{place}。\n请留下联系电话，方便工作人员联系您；不便提供请回复“跳过”。",
    "bad_phone": "没能识别电话号码。请发送手机号（如 13812345678）或座机号，或回复“跳过”。",
    "ask_confirm": ("请核对：\n内容：{content}\n类别：{category}\n办理单位：{department}\n地点：{place}\n"
                    "电话：{phone}\n附件：{attachments}个\n回复“确认”提交，回复“取消”放弃。"),
    "filed": ("已登记，编号 {number}，已转交{department}。\n将于{ack_due}前告知是否受理。{repeat}\n"
              "发送“查询 {number}”查看进度，发送“补充 {number}”补充材料。"),
    "ask_again": "{prompt}如需放弃，请回复“取消”。",
    "nothing_pending": "您当前没有待确认的反映。请直接发送文字或语音描述问题。",
    "cancelled": "已取消本次反映，未登记。需要时可随时重新发送问题描述。",
    "nothing_to_cancel": "当前没有进行中的反映。请直接发送文字或语音描述问题，或发送“帮助”。",
    "help_in_flow": "您正在反映问题。{prompt}\n回复“取消”放弃；发送“查询”查看已登记的事项。",
    "help": common.CITIZEN_HELP,
    # input problems
    "need_words": "请用文字或语音描述您遇到的问题（什么事、在哪里、从什么时候开始）。发送“帮助”查看可用操作。",
    "need_chinese": "请用中文文字或语音描述您遇到的问题，我们会登记并转交负责部门。发送“帮助”查看可用操作。",
    "too_short": "请再具体说说：遇到了什么问题、在哪里、从什么时候开始？",
    "greeting": "您好！请直接发送文字或语音描述您遇到的问题；发送“查询”查看办理进度，发送“帮助”查看更多。",
    # query
    "no_cases": "您还没有反映过问题。直接发送文字或语音描述问题即可登记。",
    "case_not_found": "没有找到您名下编号为 {number} 的事项。请核对编号，或发送“查询”查看您的全部事项。",
    "query_usage": "请发送“查询”查看全部事项，或“查询 编号”（如 查询 XF20261124-0001）查看详情。",
    # supplement
    "supplement_usage": "请发送“补充 编号”，如：补充 XF20261124-0001。发送“查询”可查看您的事项编号。",
    "supplement_waiting": "请发送要补充到 {number} 的文字、图片或语音；发完后回复“完成”。",
    "supplement_added": "已补充到 {number}，并已通知办理人员。发送“查询 {number}”查看进度。",
    "supplement_media_added": "已收到，已补充到 {number}。还可继续发送，发完后回复“完成”。",
    "supplement_done": "补充结束。发送“查询 {number}”查看进度。",
    "case_not_open": "{number} 当前状态为“{status}”，不能再补充。如有新情况请直接发送问题重新反映。",
    "finish_report_first": "您有一条正在填写的反映，请先回复“确认”提交或“取消”放弃，再补充其他事项。",
    # rating
    "rated": "感谢您的评价（{label}），{number} 已结案。如有新问题可随时反映。",
    "rated_unsatisfied": "已收到您的评价（不满意），{number} 已重新交办复查。请简要说明不满意的原因（直接回复文字即可）。",
    "rated_unsatisfied_with_reason": "已收到您的评价和理由，{number} 已重新交办复查，办理结果会再告知您。",
    "reason_received": "已记录您的意见并转告办理人员，{number} 正在复查。发送“查询 {number}”查看进度。",
    "rate_usage": "请发送“评价 编号 分数”，分数：1 满意，2 基本满意，3 不满意。",
    "rate_not_resolved": "{number} 尚未办结或已评价，暂不能评价。发送“查询 {number}”查看进度。",
    "nothing_to_rate": "您目前没有待评价的事项。请直接发送文字或语音描述问题，或发送“帮助”。",
    # misc
    # No hint that staff commands exist: a citizen just gets what they can do.
    "staff_only": common.CITIZEN_HELP,
    "report_prompt": "请直接发送文字或语音，描述遇到的问题（什么事、在哪里、从什么时候开始），可附照片和位置。",
    "reception_unavailable": "接访安排暂未发布，请稍后再试，或发送“帮助”查看其他操作。",
}

REPEAT_NOTE = "此事项与您此前反映的 {repeat_of} 相似，已关联处理。"
TRUNCATED_NOTE = "（内容较长，已保存前一万字）"

DEADLINE_LABELS = {"ack": "受理告知期限", "resolve": "办理期限", "review": "复查期限"}
ACTION_LABELS = {
    "register": "登记", "accept": "受理", "decline": "不予受理", "start": "开始办理", "reply": "答复",
    "transfer": "转办", "extend": "延期", "resolve": "办结", "confirm_resolve": "领导确认办结",
    "take_charge": "领导包案", "supervise": "督办", "reopen": "重新办理", "rate": "评价", "rate_reason": "不满意理由",
    "close": "结案", "supplement": "补充材料", "review_request": "申请复查", "recategorise": "调整分类",
}
ROLE_LABELS = {"citizen": "您", "staff": "工作人员", "leader": "领导", "supervisor": "督查室",
               "admin": "管理员", "system": "系统"}
RATING_LABELS = {1: "满意", 2: "基本满意", 3: "不满意"}


def render(reply: Reply) -> str:
    params: dict[str, Any] = dict(reply.params)
    if reply.key in ("ask_place", "ask_phone_after_content"):
        params["truncated"] = TRUNCATED_NOTE if params.get("truncated") else ""
    if reply.key == "filed":
        params["repeat"] = REPEAT_NOTE.format(repeat_of=params["repeat_of"]) if params.get("repeat_of") else ""
    return TEMPLATES[reply.key].format(**params)


def case_list(lines: Sequence[Any]) -> str:
    out = [f"您的事项（最近{len(lines)}件）："]
    for i, line in enumerate(lines, 1):
        due = f"，{DEADLINE_LABELS[line.deadline_kind]} {line.deadline:%m月%d日}" if line.deadline else ""
        rate = "，待您评价" if line.awaiting_rating else ""
        out.append(f"{i}. {line.number} {line.title}｜{line.status}{due}{rate}")
    out.append("发送“查询 编号”查看详情，“补充 编号”补充材料。")
    return "\n".join(out)


def case_detail(view: Any) -> str:
    due = f"\n{DEADLINE_LABELS[view.deadline_kind]}：{view.deadline:%Y年%m月%d日}" if view.deadline else ""
    out = [f"{view.number} {view.title}", f"状态：{view.status}｜{view.category}｜{view.department}{due}", "办理记录："]
    for e in view.entries:
        who = ROLE_LABELS.get(e.actor_role, e.actor_role)
        if e.actor_role in STAFF_ROLES and e.actor_department:
            who = f"{e.actor_department}{who}"
        text = f"：{_short(e.text, 60)}" if e.text else ""
        out.append(f"{e.at:%m-%d %H:%M} {who} {ACTION_LABELS.get(e.action, e.action)}{text}")
    out.append(f"发送“补充 {view.number}”补充材料。")
    return "\n".join(out)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
