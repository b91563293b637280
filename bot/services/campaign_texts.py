"""Chinese templates of the campaign notifications (alerts, reminders, digests, answers to citizens).

They live in ``bot`` (not ``handlers/texts``) because the scheduler and services send them and
``bot`` never imports ``handlers``.
"""

PHASE_TASKS = {
    "动员排查": "召开专题会议研判形势，全面排查矛盾纠纷和苗头隐患，建立下访台账（发送“排查”逐件登记）。",
    "集中下访": "采取公开定点接访、重点约访、带案下访、驻点指导等方式开展下访，坚持“三问”于民；"
                "下访后发送“下访记录 场次”登记成果。",
    "集中化解": "对排查和下访发现的问题分类处理、集中化解，谁接访、谁负责，一抓到底。",
    "检查总结": "对排查解决的问题开展“回头看”（发送“回头看 编号 已解决|反弹 说明”），全面总结活动开展情况。",
}

PHASE_START = ("【{campaign}·{phase}阶段开始】{start}至{end}\n{tasks}\n"
               "贵单位目前：登记 {registered} 件，化解 {resolved} 件，超期 {overdue} 件。发送“活动”查看进度。")
PHASE_END = ("【{campaign}·{phase}阶段即将结束】本阶段{end}结束，还剩 {left} 天。\n"
             "贵单位目前：登记 {registered} 件，化解 {resolved} 件（化解率 {rate}），超期 {overdue} 件，"
             "回头看 {reviewed} 件。请按期完成本阶段任务。")

DIGEST_HEAD = "【{campaign}·周进度】截至{today}（{phase}阶段）："
DIGEST_LINE = ("{i}. {dept}（{leader}）：登记 {registered}，化解 {resolved}，化解率 {rate}，"
               "超期 {overdue}，回头看 {reviewed}")
DIGEST_TOTAL = "合计：登记 {registered}，化解 {resolved}，化解率 {rate}，超期 {overdue}，回头看 {reviewed}"

REVIEW_LIST_HEAD = "【{campaign}·回头看】检查总结阶段开始（{end}前完成），请对以下 {count} 件已化解事项逐件回访核实："
REVIEW_LIST_LINE = "{i}. {number}「{title}」{dept}"
REVIEW_LIST_TAIL = "核实后发送“回头看 编号 已解决 说明”或“回头看 编号 反弹 说明”。"

MAJOR_RISK = ("【重大风险】{campaign}：{dept}{source}登记重大稳定风险 {number}「{title}」\n"
              "地点：{place}；涉及人数：{people}；类型：{kind}。请立即研判处置，发送“详情 {number}”查看。")

SUGGESTION_RECEIVED = "【三问建议】{campaign}收到群众建议 {number}「{title}」，请研究后发送“答复建议 {number} 采纳|部分采纳|留作参考 答复内容”。"
SUGGESTION_ANSWER = ("您在{campaign}中提出的建议（{number}）已有答复：{adoption}。\n{answer}\n感谢您对政府工作的关心和支持！")

REVIEW_REOPENED = "回头看发现问题反弹：{note}"
