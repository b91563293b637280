"""The `rules` click group: classify JSON contract and bad input, eval, learn -> merge -> eval."""

from __future__ import annotations

import csv
import json

import yaml
from click.testing import CliRunner

from bot.cli.rules import rules

KEYS = {"category", "group", "department", "score", "keywords", "urgent", "kind"}


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_classify_json_contract():
    runner = CliRunner()
    res = runner.invoke(
        rules, ["classify", "-"], input="小区物业费太贵了，物业公司不管事\n工地拖欠工资，我们要集体上访\n"
    )
    assert res.exit_code == 0, res.output
    out = _lines(res.output)
    assert len(out) == 2
    for d in out:
        assert KEYS <= set(d)
        assert isinstance(d["score"], float)
        assert all(isinstance(k, str) and isinstance(w, float) for k, w in d["keywords"])
        assert [w for _, w in d["keywords"]] == sorted((w for _, w in d["keywords"]), reverse=True)
    assert out[0]["category"] == "物业管理" and out[0]["group"] == "城乡建设"
    assert "集体上访" in out[1]["urgent"]


def test_classify_bad_input_one_line_each(tmp_path):
    lines = [
        b"",
        "物业费太贵".encode() * 4000,  # 20,000 characters
        bytes(b for b in range(256) if b not in b"\r\n"),  # binary junk (a newline would end the line)
        b"\xff\xfe\xfa invalid utf-8 \xc3\x28",
        "正常的一句话：小区停水了".encode(),
        b"   ",
    ]
    p = tmp_path / "in.txt"
    p.write_bytes(b"\n".join(lines) + b"\n")
    res = CliRunner().invoke(rules, ["classify", str(p)])
    assert res.exit_code == 0, res.output
    out = _lines(res.output)
    assert len(out) == len(lines)
    for d in out:
        assert KEYS <= set(d)
    assert out[0]["category"] == "其他"
    assert "error" in out[3]
    assert out[4]["category"] != "其他"


def _write_csv(path, rows, header=("text", "label")):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


TRAIN = [
    ("小区物业乱收费，物业公司不维修电梯", "城乡建设"),
    ("物业费太贵，业主委员会选举有问题", "城乡建设"),
    ("开发商延期交房，楼盘烂尾", "城乡建设"),
    ("小区违章建筑没人拆除，物业不管", "城乡建设"),
    ("公交车班次太少，等车一小时", "交通运输"),
    ("公交线路绕远，希望增加公交站", "交通运输"),
    ("出租车拒载绕路，交通管理差", "交通运输"),
    ("客运班车停运，公交不通村", "交通运输"),
    ("学校老师有偿补课，学生负担重", "教育文体"),
    ("幼儿园学费太高，学校乱收费", "教育文体"),
    ("孩子入学难，学区划分不合理，学校不收", "教育文体"),
    ("老师体罚学生，学校不处理", "教育文体"),
]


def test_learn_merge_eval_roundtrip(tmp_path, hand_rules_path):
    data = tmp_path / "train.csv"
    _write_csv(data, TRAIN * 2)
    frag = tmp_path / "frag.yaml"
    runner = CliRunner()
    res = runner.invoke(rules, ["learn", str(data), "--out", str(frag), "--rules", str(hand_rules_path)])
    assert res.exit_code == 0, res.output
    f = yaml.safe_load(frag.read_text(encoding="utf-8"))
    assert set(f["classes"]) == {"城乡建设", "交通运输", "教育文体"}
    assert "物业" in f["classes"]["城乡建设"]["keywords"]
    assert "review" in f["classes"]["城乡建设"] and "conflicts" in f
    assert "小区物业乱收费" not in frag.read_text(encoding="utf-8")  # keywords only, not messages

    # 教育文体 is not a group of the hand rules: merging adds it, with default category 其他.
    merged = tmp_path / "merged.yaml"
    res = runner.invoke(rules, ["merge", str(frag), "--rules", str(hand_rules_path), "--out", str(merged)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(rules, ["eval", str(data), "--rules", str(merged), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["accuracy"] >= 0.9
    assert set(report["per_class"]) >= {"城乡建设", "交通运输", "教育文体"}
    assert report["confusion"]["城乡建设"]["城乡建设"] >= 7
    res = runner.invoke(rules, ["eval", str(data), "--rules", str(merged)])
    assert res.exit_code == 0 and "macro-F1" in res.output and "msg/s" in res.output


def test_eval_rejects_csv_without_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    _write_csv(bad, [("a", "b")], header=("message", "category"))
    res = CliRunner().invoke(rules, ["eval", str(bad)])
    assert res.exit_code != 0
    assert "missing column" in res.output


def test_bad_rules_file_is_a_clear_error(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("categories: [{name: x, group: nowhere}]\n", encoding="utf-8")
    res = CliRunner().invoke(rules, ["classify", "-", "--rules", str(p)], input="hi\n")
    assert res.exit_code != 0 and "unknown group" in res.output
