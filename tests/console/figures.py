"""Reading the same figures out of chat's `统计` reply and the console dashboard, to compare them."""

from __future__ import annotations

import re

CHAT = {
    "total": r"信访总量 (\d+) 件",
    "acknowledgement": r"按期受理率 ([\d.]+%|—)",
    "resolution": r"按期办结率 ([\d.]+%|—)",
    "satisfaction": r"满意率 ([\d.]+%|—)",
    "overdue": r"当前超期 (\d+) 件",
    "repeats": r"重信重访 (\d+) 件",
    "group_risk": r"群体性苗头 (\d+) 件",
}


def chat_figures(reply: str) -> dict[str, str]:
    found = {}
    for key, pattern in CHAT.items():
        match = re.search(pattern, reply)
        assert match, (key, reply)
        found[key] = match.group(1)
    return found


def page_figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))
