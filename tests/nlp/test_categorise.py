"""categorise() on the default rules (hand-written sentences) and on small hand-written rules files."""

from __future__ import annotations

import re

import pytest

from nlp import Categoriser, Decision, categorise, load_rules
from nlp.rules import OTHER

from .sentences import SENTENCES

CASES = [(cat, s) for cat, sents in SENTENCES.items() for s in sents]


def test_every_default_category_has_five_sentences():
    rules = load_rules()
    names = {c.name for c in rules.categories if c.name != OTHER}
    assert names <= set(SENTENCES)
    assert all(len(SENTENCES[n]) >= 5 for n in names)


def test_default_rules_accuracy_on_own_sentences(capsys):
    rules = load_rules()
    wrong = []
    group_ok = 0
    for cat, text in CASES:
        d = categorise(text)
        if d.category != cat:
            wrong.append((cat, d.category, text))
        if d.group == rules.category(cat).group:
            group_ok += 1
    acc = 1 - len(wrong) / len(CASES)
    with capsys.disabled():
        print(
            f"\ncategory accuracy on {len(CASES)} own sentences: {acc:.3f}; group accuracy {group_ok / len(CASES):.3f}"
        )
        for w in wrong:
            print("  expected {}, got {}: {}".format(*w))
    assert acc >= 0.9


@pytest.mark.parametrize("cat, text", CASES)
def test_decision_is_consistent_and_explained(cat, text):
    rules = load_rules()
    d = categorise(text)
    assert isinstance(d, Decision)
    assert d.kind in ("建议意见类", "检举控告类", "申诉求决类")
    if d.category == OTHER:
        assert d.department == rules.triage_department
        return
    assert rules.category(d.category).group == d.group
    assert d.department in rules.departments
    assert d.keywords, "a decision must list the keywords behind it"
    weights = [w for _, w in d.keywords]
    assert weights == sorted(weights, reverse=True)
    # Removing the listed keywords must change the decision or weaken it.
    stripped = text
    for kw, _ in d.keywords:
        stripped = re.sub(re.escape(kw), " ", stripped, flags=re.IGNORECASE)
    d2 = categorise(stripped)
    assert (d2.category, d2.group) != (d.category, d.group) or d2.score < d.score


def test_short_and_empty_messages_go_to_triage():
    for text in ("", "   ", "你好", "在吗？", "1234"):
        d = categorise(text)
        assert d.category == OTHER and d.group == OTHER and d.department == "信访局"


def test_urgency_and_kind():
    d = categorise("开发商拖欠工资，我们三十多个工人准备集体上访，再不解决就去堵路")
    assert "集体上访" in d.urgent and "堵路" in d.urgent
    d = categorise("举报镇长贪污扶贫款，收受工程老板的好处")
    assert d.kind == "检举控告类" and d.department == "纪委监委"
    d = categorise("举报药店卖假药")
    assert d.kind == "检举控告类" and d.department == "市场监督管理局"
    d = categorise("我提个建议，希望政府在新区多设几条公交线路")
    assert d.kind == "建议意见类"
    assert categorise("小区停水三天了没人管").kind == "申诉求决类"


def test_deadline_override_and_departments(hand_rules_path):
    rules = load_rules(hand_rules_path)
    d = Categoriser(rules).categorise("物业不管事")
    assert d.category == "物业管理" and d.deadlines == {"ack_days": 10}
    # The kind's `department` (older rules files) is read and ignored: kind is not department.
    assert rules.departments == sorted(["住房和城乡建设局", "热力公司", "交通运输局", "信访局", "督查室"])
    default = load_rules()
    assert {"信访局", "督查室", "纪委监委"} <= set(default.departments)
    assert default.triage_department == "信访局" and default.supervision_department == "督查室"
    assert "公安政法" in default.groups


def test_negative_keywords(hand_rules_path):
    cat = Categoriser(load_rules(hand_rules_path))
    assert cat.categorise("电梯坏了三天").category == "物业管理"
    # "电梯广告" is a negative keyword of 物业管理: it cancels the 电梯 match.
    d = cat.categorise("电梯广告太吵")
    assert d.category == OTHER and d.department == "信访局"


def test_ties_go_to_the_category_listed_first(hand_rules_path):
    cat = Categoriser(load_rules(hand_rules_path))
    d = cat.categorise("物业不给修暖气")  # 物业 3 vs 暖气 3, both in 城乡建设
    assert d.category == "物业管理"
    assert cat.categorise("物业不给修暖气") == d  # deterministic


def test_threshold(hand_rules_path):
    cat = Categoriser(load_rules(hand_rules_path))
    weak = cat.categorise("我们小区")  # only 小区 (0.5): below threshold
    assert weak.category == OTHER and weak.department == "信访局" and weak.score < 0.4
    strong = cat.categorise("我们小区公交太少")
    assert strong.category == "公交" and strong.score >= 0.4


def test_whole_word_keyword_not_matched_inside_other_words():
    rules = load_rules()
    cat = Categoriser(rules)
    assert "公安" in rules.whole_words
    kws = dict(cat.categorise("请公安机关处理诈骗").keywords)
    assert "公安" in kws
    assert "公安" not in dict(cat.categorise("办公安排不合理，物业费太贵").keywords)


def test_module_level_categorise_uses_cached_default():
    from nlp.categorise import categoriser_for

    assert categoriser_for() is categoriser_for()
    assert categorise("物业费太贵").category == "物业管理"
