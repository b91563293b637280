"""Routing on everyday messages: kind is not department, county departments, the triage desk with
its reason, alarm words in context, and 诉访分离 suggestions (default rules and small rules files)."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from bot.cli.rules import rules as rules_cli
from nlp import Categoriser, categorise, load_rules
from nlp.rules import OTHER, RulesError, clear_cache

from .alarm_sentences import ALARM
from .everyday import EVERYDAY, EVERYDAY_BLIND, JW, XF


def _score(cases):
    """Route the messages the way an operator checks them: `xinfang rules classify -`, one per line."""
    res = CliRunner().invoke(rules_cli, ["classify", "-"], input="".join(t + "\n" for t, _, _ in cases))
    assert res.exit_code == 0, res.output
    decisions = [json.loads(line) for line in res.output.splitlines()]
    assert len(decisions) == len(cases)
    wrong, bad_jw = [], []
    for (text, accepted, wrongdoing), d in zip(cases, decisions, strict=True):
        if d["department"] not in accepted:
            wrong.append((text, d["department"], sorted(accepted)))
        if d["department"] == JW and not wrongdoing:
            bad_jw.append(text)
    return wrong, bad_jw


@pytest.mark.parametrize("name, cases", [("everyday", EVERYDAY), ("blind", EVERYDAY_BLIND)])
def test_everyday_messages_reach_an_accepted_department(name, cases, capsys):
    wrong, bad_jw = _score(cases)
    share = 1 - len(wrong) / len(cases)
    with capsys.disabled():
        print(f"\n{name}: {len(cases) - len(wrong)}/{len(cases)} = {share:.3f} routed to an accepted department")
        for w in wrong:
            print("  {} -> {} (accepted {})".format(*w))
    assert share >= 0.9
    assert bad_jw == [], "only allegations against officials may go to 纪委监委"


def test_everyday_set_size_and_coverage():
    cases = EVERYDAY + EVERYDAY_BLIND
    assert len(cases) >= 80
    assert len({t for t, _, _ in cases}) == len(cases)
    wanted = {"民政局", "水利局", "城市管理和综合执法局", JW, XF}
    assert wanted <= {d for _, acc, _ in cases for d in acc}


@pytest.mark.parametrize("text, department", [
    ("举报KTV每天凌晨还在放音乐，吵得睡不着", {"生态环境局", "公安局", "城市管理和综合执法局"}),
    ("举报药店卖假药", {"市场监督管理局"}),
    ("举报砂石场夜里偷采", {"自然资源和规划局", "水利局"}),
    ("我要检举隔壁工厂偷排废水", {"生态环境局"}),
])
def test_reporting_a_nuisance_is_a_kind_not_a_department(text, department):
    d = categorise(text)
    assert d.kind == "检举控告类"
    assert d.department in department


@pytest.mark.parametrize("text", [
    "村会计虚报冒领危房改造补贴",
    "镇干部办事吃拿卡要",
    "扶贫干部克扣贫困户的帮扶资金",
    "村支书截留了救灾款",
])
def test_official_wrongdoing_goes_to_the_discipline_body_without_the_word_举报(text):
    d = categorise(text)
    assert d.department == JW and d.kind == "检举控告类"
    assert d.keywords


def test_an_allegation_inside_a_topic_keeps_the_topic_and_goes_to_the_discipline_body():
    d = categorise("政府征收我们的土地，青苗费和补偿款被村里截留。")
    assert (d.category, d.group) == ("征地拆迁", "城乡建设")
    assert d.department == JW and d.kind == "检举控告类"
    assert "截留" in {k for k, _ in d.keywords}


def test_paired_keywords_need_their_partner():
    # 克扣 by a labour contractor is a wage dispute; by a cadre it is wrongdoing.
    assert categorise("包工头克扣我们的工资").department == "人力资源和社会保障局"
    d = categorise("村干部克扣我们的补贴")
    assert d.department == JW
    assert {"克扣", "村干部"} <= {k for k, _ in d.keywords}


def test_county_departments_are_in_the_default_rules():
    names = set(load_rules().departments)
    assert {"民政局", "水利局", "城市管理和综合执法局", "医疗保障局"} <= names
    for text, dept in [
        ("低保被取消了", "民政局"), ("特困户没人管", "民政局"), ("养老机构虐待老人", "民政局"),
        ("残疾人补贴没发", "民政局"), ("婚姻登记要排队", "民政局"), ("殡葬收费太高", "民政局"),
        ("社会救助申请被拒", "民政局"), ("农村饮水不安全", "水利局"), ("河道被挖得乱七八糟", "水利局"),
        ("商贩占道经营", "城市管理和综合执法局"), ("绿地被占", "城市管理和综合执法局"),
        ("违建没人拆", "城市管理和综合执法局"),
    ]:
        assert categorise(text).department == dept, text


def test_no_topic_goes_to_triage_with_a_reason():
    rules = load_rules()
    d = categorise("明天我们全村人都去镇政府门口讨说法")
    assert d.category == OTHER and d.department == rules.triage_department
    assert "未提到具体问题" in d.reason
    assert d.urgent, "a crowd with a plan raises an alarm even without a topic"
    d = categorise("你好")
    assert d.department == rules.triage_department and d.reason.startswith("未识别出具体问题")
    assert categorise("小区停水三天了没人管").reason == ""


def test_low_confidence_reason_names_score_and_threshold(hand_rules_path):
    d = Categoriser(load_rules(hand_rules_path)).categorise("我们小区")
    assert d.department == "信访局"
    assert "置信度" in d.reason and "0.40" in d.reason


def test_alarm_precision_and_recall_on_labelled_sentences(capsys):
    tp = fp = fn = 0
    misses = []
    for text, alarm in ALARM:
        got = bool(categorise(text).urgent)
        tp += got and alarm
        fp += got and not alarm
        fn += alarm and not got
        if got != alarm:
            misses.append((alarm, text))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    with capsys.disabled():
        n_pos = sum(a for _, a in ALARM)
        print(f"\nalarm on {len(ALARM)} sentences ({n_pos} alarm, {len(ALARM) - n_pos} not): "
              f"precision {precision:.3f} recall {recall:.3f}")
        for m in misses:
            print("  expected {}: {}".format(*m))
    assert len(ALARM) >= 60 and 20 <= sum(a for _, a in ALARM) <= len(ALARM) - 20
    assert precision >= 0.9 and recall >= 0.9


def test_alarm_reason_says_why():
    d = categorise("我们几十户村民准备明天去县政府讨说法")
    assert "几十户" in d.urgent and "群体+计划" in d.alarm
    assert categorise("去年去过市里上访，问题还是没解决").urgent == ()
    assert categorise("我没有去上访").alarm == ""


def test_older_urgent_list_is_judged_in_context(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text(textwrap.dedent("""
        categories:
          - {name: 欠薪, group: 其他, department: 人社局, keywords: {工资: 3}}
        urgent: [上访, 堵路]
    """), encoding="utf-8")
    cat = Categoriser(load_rules(p))
    assert cat.categorise("拖欠工资，明天去堵路").urgent == ("堵路",)
    assert cat.categorise("拖欠工资，我上访过三次").urgent == ()
    assert cat.categorise("拖欠工资，我们不会去堵路").urgent == ()
    clear_cache()


@pytest.mark.parametrize("text, route", [
    ("法院判决不公，我不服，要求政府给我做主", "诉讼"),
    ("公司解除劳动合同不给经济补偿", "仲裁"),
    ("交警的罚款不合理，我不服这个处罚决定", "复议"),
    ("小区停水三天了没人管", None),
    ("包工头拖欠工资两万多", None),
])
def test_separation_suggests_a_legal_route(text, route):
    assert categorise(text).separation == route


def test_separation_routes_name_body_and_time_limit():
    rules = load_rules()
    for word, name in [("诉讼", "诉讼"), ("法院", "诉讼"), ("劳动仲裁", "仲裁"), ("行政复议", "复议")]:
        r = rules.separation_route(word)
        assert r is not None and r.name == name and r.body and r.limit
    assert rules.separation_route("调解") is None


def test_malformed_sections_are_rejected(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text("separation:\n  routes:\n    诉讼: {keywords: {判决: 3}}\n", encoding="utf-8")
    with pytest.raises(RulesError, match="body"):
        load_rules(p)
    p.write_text("alarm:\n  group_patterns: ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(RulesError, match="bad pattern"):
        load_rules(p)
    p.write_text("categories:\n  - {name: x, kind: 举报类}\n", encoding="utf-8")
    with pytest.raises(RulesError, match="unknown kind"):
        load_rules(p)
    clear_cache()
