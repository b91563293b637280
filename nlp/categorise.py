"""Deciding the category, group, department and kind of a petition message.

All keywords of a rules file -- learned group keywords, hand-written category
keywords and negatives, kind hints, urgency words -- go into one Aho-Corasick
automaton, so a message is scanned once whatever the number of keywords. Each
keyword carries a short list of effects (slot, weight); a message's score is
the sum of the effects of the distinct keywords found in it.

Groups (一级分类) are scored by the learned keyword weights as a softmax over
the learned groups (a linear model whose features are exactly these
keywords); hand-written category keywords pick the category inside the
decided group, and a strong hand-written match can decide a group that has no
learned keywords (e.g. 公安政法). A category is only ever chosen inside its
own group, so category and group always agree.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import ahocorasick

from nlp import segment
from nlp.normalize import match_form
from nlp.rules import OTHER, Rules, load_rules

MAX_LISTED_KEYWORDS = 12


@dataclass(frozen=True)
class Decision:
    category: str
    group: str
    department: str
    score: float
    keywords: tuple[tuple[str, float], ...]
    urgent: tuple[str, ...]
    kind: str
    deadlines: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "group": self.group,
            "department": self.department,
            "score": round(self.score, 4),
            "keywords": [[k, round(w, 4)] for k, w in self.keywords],
            "urgent": list(self.urgent),
            "kind": self.kind,
            "deadlines": dict(self.deadlines),
        }


class Categoriser:
    """Scores messages against one `Rules`; build once, call `categorise` many times."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self._learned = [g for g in rules.groups_by_name.values() if g.keywords]
        self._cats = [c for c in rules.categories if c.name != OTHER]
        self._other_cat = next(c for c in rules.categories if c.name == OTHER)
        n_g, n_c = len(self._learned), len(self._cats)
        self._cat_base = n_g
        self._kind_base = n_g + n_c
        self._n_slots = n_g + n_c + len(rules.kinds)
        self._cat_index_by_group: dict[str, list[int]] = {}
        for j, c in enumerate(self._cats):
            self._cat_index_by_group.setdefault(c.group, []).append(j)

        effects: dict[str, list[tuple[int, float]]] = {}
        for gi, g in enumerate(self._learned):
            for kw, w in g.keywords.items():
                effects.setdefault(kw, []).append((gi, w))
        learned_kw = set(effects)
        for j, c in enumerate(self._cats):
            for kw, w in c.keywords.items():
                effects.setdefault(kw, []).append((n_g + j, w))
            for kw, w in c.negative.items():
                effects.setdefault(kw, []).append((n_g + j, -abs(w)))
        for ki, k in enumerate(rules.kinds):
            for kw, w in k.keywords.items():
                effects.setdefault(kw, []).append((self._kind_base + ki, w))
        for kw in rules.urgent:
            effects.setdefault(kw, [])

        self._keywords: list[str] = list(effects)
        self._effects: list[tuple[tuple[int, float], ...]] = [tuple(effects[k]) for k in self._keywords]
        self._is_learned = [k in learned_kw for k in self._keywords]
        self._is_urgent = frozenset(i for i, k in enumerate(self._keywords) if k in set(rules.urgent))
        self._whole = frozenset(i for i, k in enumerate(self._keywords) if k in rules.whole_words)
        self._automaton = ahocorasick.Automaton()
        for i, kw in enumerate(self._keywords):
            self._automaton.add_word(kw, i)
        if self._keywords:
            self._automaton.make_automaton()
        # The user dictionary makes jieba keep domain words whole; registering it
        # once here means every later tokenisation in the process uses it.
        self._extra_words = tuple(rules.userdict) + tuple(rules.whole_words)

    # -- scanning ---------------------------------------------------------

    def matched(self, text: str) -> list[int]:
        """Distinct keyword ids found in text (already in match form), first occurrence order."""
        if not self._keywords or not text:
            return []
        ids = dict.fromkeys(v for _, v in self._automaton.iter(text))
        if self._whole and not self._whole.isdisjoint(ids):
            tokens = set(segment.words(text, self._extra_words))
            for i in [i for i in ids if i in self._whole and self._keywords[i] not in tokens]:
                del ids[i]
        return list(ids)

    def feature_set(self, text: str) -> list[str]:
        """Learned keywords present in a message; the learner's view of the text."""
        t = match_form(text)
        return [self._keywords[i] for i in self.matched(t) if self._is_learned[i]]

    # -- deciding ---------------------------------------------------------

    def categorise(self, text: str) -> Decision:
        rules = self.rules
        ids = self.matched(match_form(text or ""))
        acc = [0.0] * self._n_slots
        n_learned = 0
        effects, is_learned = self._effects, self._is_learned
        for i in ids:
            if is_learned[i]:
                n_learned += 1
            for slot, w in effects[i]:
                acc[slot] += w
        urgent = tuple(self._keywords[i] for i in ids if i in self._is_urgent)
        kind, kind_dept = self._kind(acc)

        cat_scores = acc[self._cat_base : self._kind_base]
        group, score = self._decide_group(acc, n_learned, cat_scores)
        if group == OTHER:
            category = self._other_cat
        else:
            category = self._category_in(group, cat_scores)
        listed = self._explain(ids, group, category.name)
        if not listed and group != OTHER:
            group, category = OTHER, self._other_cat
        if group == OTHER:
            department = rules.triage_department
        else:
            department = kind_dept or category.department
        return Decision(
            category=category.name,
            group=group,
            department=department,
            score=score,
            keywords=listed if group != OTHER else self._explain(ids, None, None),
            urgent=urgent,
            kind=kind,
            deadlines=dict(category.deadlines),
        )

    def _decide_group(self, acc: list[float], n_learned: int, cat_scores: list[float]) -> tuple[str, float]:
        rules = self.rules
        # A strong hand-written match decides a group the learned model knows nothing about.
        best_j, best_s = -1, 0.0
        for j, s in enumerate(cat_scores):
            if s > best_s:
                best_j, best_s = j, s
        learned_names = {g.name for g in self._learned}
        if best_j >= 0 and best_s >= rules.override_score and self._cats[best_j].group not in learned_names:
            return self._cats[best_j].group, 1.0 - math.exp(-best_s / rules.override_score)
        if not self._learned or (n_learned == 0 and best_s <= 0):
            return OTHER, 0.0
        # Same scaling as in training: sum of weights over sqrt(number of features present).
        norm = 1.0 / math.sqrt(n_learned) if n_learned else 0.0
        logits = []
        for gi, g in enumerate(self._learned):
            z = g.bias + acc[gi] * norm
            if rules.category_boost:
                z += rules.category_boost * max(
                    [cat_scores[j] for j in self._cat_index_by_group.get(g.name, ())] + [0.0]
                )
            logits.append(z)
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        gi = logits.index(top)
        p = exps[gi] / sum(exps)
        if p < rules.threshold:
            return OTHER, p
        return self._learned[gi].name, p

    def _category_in(self, group: str, cat_scores: list[float]):
        best, best_s = None, 0.0
        # Strictly greater: on a tie the category listed first in the rules file wins.
        for j in self._cat_index_by_group.get(group, ()):
            if cat_scores[j] > best_s:
                best, best_s = self._cats[j], cat_scores[j]
        if best is not None:
            return best
        return self.rules.category(self.rules.groups_by_name[group].default_category)

    def _kind(self, acc: list[float]) -> tuple[str, str | None]:
        for ki, k in enumerate(self.rules.kinds):
            if acc[self._kind_base + ki] >= k.min_score:
                return k.name, k.department
        return self.rules.default_kind, None

    def _explain(self, ids: list[int], group: str | None, category: str | None) -> tuple[tuple[str, float], ...]:
        """Keywords that pushed the message towards the decided group and category."""
        slots = set()
        for gi, g in enumerate(self._learned):
            if g.name == group:
                slots.add(gi)
        for j, c in enumerate(self._cats):
            if c.name == category:
                slots.add(self._cat_base + j)
        out: dict[str, float] = {}
        for i in ids:
            w = sum(wt for slot, wt in self._effects[i] if slot in slots or (group is None and slot < self._kind_base))
            if w > 0:
                out[self._keywords[i]] = w
        ranked = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))
        return tuple(ranked[:MAX_LISTED_KEYWORDS])


_default_lock = threading.Lock()
_default: dict[str, Categoriser] = {}


def categoriser_for(rules: Rules | None = None) -> Categoriser:
    """A cached Categoriser per rules object (the default rules when None)."""
    rules = rules or load_rules()
    with _default_lock:
        cat = _default.get(rules.path)
        if cat is None or cat.rules is not rules:
            cat = _default[rules.path] = Categoriser(rules)
        return cat


def categorise(text: str, rules: Rules | None = None) -> Decision:
    """Categorise one message with the given (or default) rules."""
    return categoriser_for(rules).categorise(text)
