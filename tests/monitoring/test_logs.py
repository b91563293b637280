"""``XINFANG_LOG_FORMAT=json``: every line a JSON object, the access log at INFO, no phone number in clear."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot import logs
from bot.simulator import FakeWeChat
from tests.serve_process import TOKEN, process_env, serving

PHONE = "13812345678"


def test_json_formatter_masks_phones_and_carries_context() -> None:
    formatter = logs.JsonFormatter()
    logs.bind(openid="o-secret-openid")
    try:
        raise ValueError(f"电话 {PHONE}")
    except ValueError:
        record = logging.LogRecord("bot.test", logging.ERROR, __file__, 1, "案件 %s 联系 %s",
                                   ("XF20261124-0001", PHONE), exc_info=__import__("sys").exc_info())
    line = formatter.format(record)
    entry = json.loads(line)
    assert PHONE not in line and "138****5678" in entry["message"] and "138****5678" in entry["exception"]
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.test" and entry["case"] == "XF20261124-0001"
    assert entry["openid_hash"] == logs.openid_hash("o-secret-openid") and "o-secret-openid" not in line
    assert {"time", "role"} <= set(entry)


async def test_serve_logs_one_json_object_per_line_with_access_log(db_url: str, tmp_path: Path) -> None:
    async with FakeWeChat.running() as wx:
        env = process_env(db_url, wx, XINFANG_LOG_FORMAT="json", XINFANG_LOG_LEVEL="INFO",
                          XINFANG_MEDIA_DIR=str(tmp_path / "media"))
        async with serving(env, tmp_path, "webhook") as served:
            user = wx.user("o-json-log", f"{served.base}/wechat", TOKEN)
            await user.text(f"楼上漏水到我家，物业不管，我的电话{PHONE}")
            await user.text(PHONE)
        output = served.log.read_text(encoding="utf-8")
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "nothing logged"
    entries = [json.loads(line) for line in lines]  # every line parses
    assert PHONE not in output
    access = [e for e in entries if e["logger"] == "aiohttp.access" and e.get("path") == "/wechat"]
    assert len(access) >= 2, entries
    assert all(e["level"] == "INFO" and e["status"] == 200 and e["method"] == "POST" for e in access)
    assert all(e["role"] == "webhook" and e["openid_hash"] == logs.openid_hash("o-json-log") for e in access)
    assert "o-json-log" not in output  # the openid is in WeChat's query string: never logged
