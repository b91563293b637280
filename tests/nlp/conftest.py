"""Fixtures for nlp tests: small hand-written rules files written to tmp_path."""

from __future__ import annotations

import textwrap

import pytest

from nlp.rules import clear_cache

HAND_RULES = textwrap.dedent(
    """
    threshold: 0.4
    override_score: 6.0
    triage_department: 信访局
    supervision_department: 督查室
    groups:
      城乡建设: {default_category: 物业管理}
      交通运输: {default_category: 公交}
      其他: {default_category: 其他}
    categories:
      - name: 物业管理
        group: 城乡建设
        department: 住房和城乡建设局
        keywords: {物业: 3, 电梯: 2}
        negative: {电梯广告: 5}
        deadlines: {ack_days: 10}
      - name: 供暖
        group: 城乡建设
        department: 热力公司
        keywords: {暖气: 3}
      - name: 公交
        group: 交通运输
        department: 交通运输局
        keywords: {公交: 3, 小区: 0.5}
      - name: 其他
        group: 其他
        department: 信访局
    kinds:
      检举控告类: {keywords: {贪污: 3}, min_score: 2, department: 纪委监委}
    urgent: [集体上访, 跳楼]
    """
)


@pytest.fixture
def hand_rules_path(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text(HAND_RULES, encoding="utf-8")
    yield p
    clear_cache()
