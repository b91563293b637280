"""Texts of the `统计` command (leaders and the supervision office)."""

STATS_USAGE = (
    "统计用法：\n"
    "· 统计 —— 本月\n"
    "· 统计 上月\n"
    "· 统计 2026-11 —— 指定月份\n"
    "· 统计 2026-11-01~2026-11-30 —— 指定日期范围"
)

BAD_PERIOD = "没有看懂统计期间“{period}”。\n" + STATS_USAGE
