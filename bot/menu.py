"""The official account's custom menu and its CLICK keys (the contract between menu and handlers)."""

from __future__ import annotations

import json
from typing import Any

KEY_REPORT = "XF_REPORT"
KEY_QUERY = "XF_QUERY"
KEY_RECEPTION = "XF_RECEPTION"
KEY_HELP = "XF_HELP"
# 三问 suggestions while a campaign is in its 集中下访 phase (handlers.campaign answers it).
KEY_SUGGEST = "CAMPAIGN_SUGGEST"

MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "我要反映", "key": KEY_REPORT},
        {"type": "click", "name": "进度查询", "key": KEY_QUERY},
        {"name": "更多服务", "sub_button": [
            {"type": "click", "name": "接访安排", "key": KEY_RECEPTION},
            {"type": "click", "name": "问计于民", "key": KEY_SUGGEST},
            {"type": "click", "name": "使用帮助", "key": KEY_HELP},
        ]},
    ]
}


def menu_json() -> str:
    return json.dumps(MENU, ensure_ascii=False, indent=2)
