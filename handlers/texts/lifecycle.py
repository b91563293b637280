"""Replies about a case's later life: 复查 / 复核 requests, 回头看 answers, 补充 sessions,
attachments and on-the-spot closing (Chinese)."""

REVIEW_USAGE = "请发送“申请复查 编号”（如：申请复查 XF20261124-0001），可在编号后写明理由。发送“查询”查看您的事项编号。"
RECHECK_USAGE = "请发送“申请复核 编号”（复查意见的编号或原事项编号），可在编号后写明理由。"
REVIEW_OPENED = ("已收到您的{level}申请，{level}编号 {number}（原事项 {original}），由{body}办理，"
                 "将于{due}前提出{level}意见。发送“查询 {number}”查看进度。")
REVIEW_ERRORS = {
    "not_found": "没有找到您名下编号为 {number} 的事项，不能申请。请核对编号，或发送“查询”查看您的全部事项。",
    "not_decided": "{number} 尚未作出处理意见（办结或不予受理），暂不能申请复查。发送“查询 {number}”查看进度。",
    "already": "{number} 已申请过{level}（{review}），不能重复申请。发送“查询 {review}”查看进度。",
    "late": ("{number} 的处理意见已于{delivered}送达，申请{level}的期限（{days}日）已于{ended}届满，"
             "本次申请不予受理。"),
    "final": "{number} 已经复核，复核意见为最终意见，同一事实和理由的请求不再受理。\n{basis}",
    "needs_review": "{number} 尚未经过复查，请先发送“申请复查 {number}”。",
    "use_recheck": "{number} 是复查事项，对复查意见不服请发送“申请复核 {number}”。",
}
FOLLOW_UP_RESOLVED = "感谢您的回复，已记录 {number} 的问题已解决。如有新问题可随时反映。"
FOLLOW_UP_REOPENED = "已记录您的回复：{number} 仍有问题，已重新交办，承办人员和包案领导已获通知。发送“查询 {number}”查看进度。"
FOLLOW_UP_NEW_CASE = ("已记录您的回复：{number} 结案已久，已为您另立新件 {new}，并通知原承办人员和包案领导。"
                      "发送“查询 {new}”查看进度。")
FOLLOW_UP_NONE = "您目前没有待回复的回头看问题。发送“查询”查看您的事项，或直接发送文字描述新问题。"
FOLLOW_UP_NEED_NOTE = "请简要说明仍存在的问题，如：2 仍有问题 物业费仍按原标准收取。"
