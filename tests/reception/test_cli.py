"""``xinfang reception add|list|cancel`` as an operator runs them, with sessions from the TOML file too."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.clock import FakeClock
from tests.jobs.world import seeded_sqlite_office

CONFIG = """
[[reception]]
key = "secretary-tuesday"
leader = "张明"
companions = ["李强"]
weekday = "周二"
start = "09:00"
end = "11:30"
place = "县信访接待室"
form = "现场接访"
slots = 10
"""


def test_reception_commands_add_list_and_cancel(tmp_path: Path, clock: FakeClock) -> None:
    url = seeded_sqlite_office(tmp_path, clock)
    config = tmp_path / "xinfang.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {"XINFANG_DATABASE_URL": url, "XINFANG_CONFIG": str(config)}
    runner = CliRunner()

    added = runner.invoke(main, ["reception", "add", "--leader", "张明", "--date", "2099-01-06", "--start", "14:00",
                                 "--end", "17:00", "--place", "城关镇政府", "--form", "带案下访", "--slots", "4",
                                 "--with", "李强"], env=env)
    assert added.exit_code == 0, added.output
    assert "接访场次 #1" in added.output

    wrong = runner.invoke(main, ["reception", "add", "--leader", "王芳", "--weekday", "周三", "--start", "09:00",
                                 "--end", "11:00", "--place", "x"], env=env)
    assert wrong.exit_code != 0 and "leader" in wrong.output

    listed = runner.invoke(main, ["reception", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert [(s["form"], s["config_key"]) for s in data["sessions"]] == [("带案下访", None),
                                                                       ("现场接访", "secretary-tuesday")]
    assert all(d["form"] == "现场接访" for d in data["dates"])  # the one-off is beyond 14 days

    cancelled = runner.invoke(main, ["reception", "cancel", "1", "--reason", "改期"], env=env)
    assert cancelled.exit_code == 0, cancelled.output
    again = runner.invoke(main, ["reception", "list"], env=env)
    assert "（已取消）" in again.output
