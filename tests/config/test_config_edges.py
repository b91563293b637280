"""Configuration edges: secret files, misspelt variables, the rules CLI's file, CSV encodings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.clock import FakeClock
from bot.settings import Settings
from bot.settings_sources import unknown_variables
from nlp.rules import DEFAULT_RULES_PATH
from nlp.text_files import UndecodableText, decode_text
from tests.campaign.test_cli_import import GOOD, HOUSING, PHASE_FLAGS
from tests.jobs.world import seeded_sqlite_office
from tests.nlp.conftest import HAND_RULES

ROOT = Path(__file__).resolve().parents[2]


def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("XINFANG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XINFANG_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XINFANG_SECRETS_DIR", str(tmp_path / "no-secrets"))


def test_secrets_come_from_files_and_a_plain_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _clean_env(monkeypatch, tmp_path)
    (tmp_path / "wechat_secret").write_text("s3cret-from-file\n", encoding="utf-8")
    monkeypatch.setenv("XINFANG_WECHAT_SECRET_FILE", str(tmp_path / "wechat_secret"))
    secrets = tmp_path / "credentials"
    secrets.mkdir()
    (secrets / "XINFANG_DATABASE_URL").write_text("postgresql+asyncpg://x:pw@db/x", encoding="utf-8")
    (secrets / "wechat_token").write_text("tok", encoding="utf-8")
    monkeypatch.setenv("XINFANG_SECRETS_DIR", str(secrets))
    settings = Settings()
    assert settings.wechat_secret == "s3cret-from-file"
    assert settings.database_url == "postgresql+asyncpg://x:pw@db/x" and settings.wechat_token == "tok"
    monkeypatch.setenv("XINFANG_WECHAT_TOKEN", "from-env")
    assert Settings().wechat_token == "from-env"


def test_unreadable_secret_file_and_misspelt_variable_are_reported(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}
    env.update(PYTHONPATH=str(ROOT), XINFANG_CONFIG=str(tmp_path / "none.toml"),
               XINFANG_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    misspelt = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], capture_output=True, text=True,
                              env={**env, "XINFANG_WECHAT_SECRT": "x"}, cwd=tmp_path, timeout=60)
    assert misspelt.returncode == 0, misspelt.stderr
    assert "XINFANG_WECHAT_SECRT" in misspelt.stderr and "XINFANG_WECHAT_SECRET" in misspelt.stderr.replace(
        "XINFANG_WECHAT_SECRT", "")
    missing = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], capture_output=True, text=True,
                             env={**env, "XINFANG_WECHAT_SECRET_FILE": str(tmp_path / "nope")}, cwd=tmp_path,
                             timeout=60)
    assert missing.returncode != 0 and "XINFANG_WECHAT_SECRET_FILE" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_unknown_variables_suggest_the_closest_setting() -> None:
    env = {"XINFANG_DATABSE_URL": "x", "XINFANG_WECHAT_SECRET_FILE": "f", "XINFANG_TEMPLATE_IDS__REPLY": "t",
           "XINFANG_LOG_FORMAT": "json", "XINFANG_ZZZ": "1", "PATH": "/bin"}
    assert unknown_variables(env, Settings) == [("XINFANG_DATABSE_URL", "XINFANG_DATABASE_URL"),
                                                ("XINFANG_ZZZ", None)]


def test_decode_text_utf8_bom_gbk_gb18030_and_garbage() -> None:
    text = "问题内容,承办单位\n楼道堆物,住建局\n"
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert decode_text(text.encode("utf-8-sig")) == (text, "utf-8-sig")
    assert decode_text(text.encode("gbk")) == (text, "gb18030")
    rare = "𠀋村的桥"  # outside GBK, inside GB18030
    assert decode_text(rare.encode("gb18030"))[0] == rare
    with pytest.raises(UndecodableText, match="无法识别文件编码"):
        decode_text(b"\xff\xfe\x00\x00\x80\x80\x80" * 10, "坏.csv")


def test_gbk_csv_import_and_undecodable_file_in_chinese(tmp_path: Path, clock: FakeClock) -> None:
    url = seeded_sqlite_office(tmp_path, clock)
    env = {"XINFANG_DATABASE_URL": url}
    runner = CliRunner()
    added = runner.invoke(main, ["campaign", "add", "--name", "2026年大下访活动", *PHASE_FLAGS,
                                 "--dept", f"{HOUSING}=李强"], env=env)
    assert added.exit_code == 0, added.output
    header = "问题内容,承办单位,风险等级,排查类型,发现日期,地点,涉及人数\n"
    gbk = tmp_path / "excel-gbk.csv"
    gbk.write_bytes((header + f"{GOOD},住建局,较大,矛盾纠纷,2026-09-05,东风小区,40\n").encode("gbk"))
    result = runner.invoke(main, ["campaign", "import", "1", str(gbk)], env=env)
    assert result.exit_code == 0 and "已导入 1 件" in result.output, result.output
    bom = tmp_path / "excel-utf8.csv"
    bom.write_bytes((header + "燃气管道老化居民担心安全,住建局,重大,苗头隐患,2026-09-06,,\n").encode("utf-8-sig"))
    result = runner.invoke(main, ["campaign", "import", "1", str(bom)], env=env)
    assert result.exit_code == 0 and "已导入 1 件" in result.output, result.output
    garbage = tmp_path / "binary.csv"
    garbage.write_bytes(b"\x80\xff\x00\x81" * 50)
    result = runner.invoke(main, ["campaign", "import", "1", str(garbage)], env=env)
    assert result.exit_code != 0 and "无法识别文件编码" in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit), result.exception  # a clean click error, no traceback


LEARN_CSV = "text,label\n" + "".join(f"{t},{label}\n" for t, label in [
    ("小区物业不作为乱收费", "城乡建设"), ("物业公司不修电梯", "城乡建设"), ("暖气不热物业不管", "城乡建设"),
    ("公交车改线不方便", "交通运输"), ("公交站台太远", "交通运输"), ("公交车司机态度差", "交通运输"),
] * 2)


def test_rules_cli_honours_rules_file_and_merge_keeps_comments(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("# 本县规则：2026年11月 王科长审核\n" + HAND_RULES.replace(
        "urgent: [集体上访, 跳楼]", "urgent: [集体上访, 跳楼]  # 紧急词由领导确定"), encoding="utf-8")
    data = tmp_path / "train.csv"
    data.write_text(LEARN_CSV, encoding="utf-8")
    env = {"XINFANG_RULES_FILE": str(rules_file), "XINFANG_CONFIG": str(tmp_path / "none.toml")}
    runner = CliRunner()
    # classify uses the configured file: its 热力公司 exists only there.
    classified = runner.invoke(main, ["rules", "classify", "-"], input="暖气不热\n", env=env)
    assert classified.exit_code == 0, classified.output
    assert json.loads(classified.output)["department"] == "热力公司"

    frag = tmp_path / "frag.yaml"
    learned = runner.invoke(main, ["rules", "learn", str(data), "--out", str(frag)], env=env)
    assert learned.exit_code == 0, learned.output
    package_before = DEFAULT_RULES_PATH.read_bytes()
    refused = runner.invoke(main, ["rules", "merge", str(frag)], env={"XINFANG_RULES_FILE": "",
                                                                     "XINFANG_CONFIG": str(tmp_path / "none.toml")})
    assert refused.exit_code != 0 and "安装目录" in refused.output
    into_package = runner.invoke(main, ["rules", "merge", str(frag), "--out", str(DEFAULT_RULES_PATH)], env=env)
    assert into_package.exit_code != 0 and "安装目录" in into_package.output
    assert DEFAULT_RULES_PATH.read_bytes() == package_before

    merged = runner.invoke(main, ["rules", "merge", str(frag)], env=env)
    assert merged.exit_code == 0, merged.output
    text = rules_file.read_text(encoding="utf-8")
    assert text.startswith("# 本县规则：2026年11月 王科长审核") and "# 紧急词由领导确定" in text
    groups = yaml.safe_load(text)["groups"]
    assert "物业" in groups["城乡建设"]["keywords"] and groups["城乡建设"]["default_category"] == "物业管理"
