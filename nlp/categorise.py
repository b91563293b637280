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
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

import ahocorasick

from nlp import segment
from nlp.normalize import match_form
from nlp.rules import OTHER, Rules, load_rules

MAX_LISTED_KEYWORDS = 12
# Jieba only needs a few characters either side to decide whether a candidate is a word.
WHOLE_WORD_CONTEXT = 8
_second = itemgetter(1)
# The opening words of a message usually name its subject (the spec's case title is
# the first sentence), so keywords found there count double; cross-validation on the
# labelled messages gains about a point of accuracy from it.
HAND_SCALE = 3.0
TITLE_CHARS = 20
TITLE_WEIGHT = 2


def keyword_counts(automaton, text: str) -> dict[int, int]:
    """{keyword id: occurrences} in first-occurrence order, occurrences inside the
    first TITLE_CHARS characters counted TITLE_WEIGHT times."""
    # Counting through map/itemgetter keeps the per-hit loop in C: a long message has
    # several hundred hits and this is the hot spot of categorising.
    counts = Counter(map(_second, automaton.iter(text)))
    head = text[:TITLE_CHARS]
    for _ in range(TITLE_WEIGHT - 1):
        counts.update(map(_second, automaton.iter(head)))
    return counts


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
        self._learned_names = frozenset(g.name for g in self._learned)
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
        self._effect_maps = [dict(e) for e in self._effects]
        self._learned_eff = [tuple(e for e in eff if e[0] < n_g) for eff in self._effects]
        self._hand_eff = [tuple(e for e in eff if e[0] >= n_g) for eff in self._effects]
        self._group_slot = {g.name: gi for gi, g in enumerate(self._learned)}
        self._cat_slot = {c.name: n_g + j for j, c in enumerate(self._cats)}
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

    def matched(self, text: str) -> dict[int, int]:
        """{keyword id: weighted count} found in text (already in match form)."""
        if not self._keywords or not text:
            return {}
        ids = keyword_counts(self._automaton, text)
        if self._whole and not self._whole.isdisjoint(ids):
            # Whole-word keywords ("公安" but not the one inside "办公安排") need jieba,
            # which is only run, around the candidate, when one is actually present.
            for i in [i for i in ids if i in self._whole]:
                if not self._is_word_somewhere(text, self._keywords[i]):
                    del ids[i]
        return ids

    def _is_word_somewhere(self, text: str, word: str) -> bool:
        """True if some occurrence of `word` does not straddle a jieba token boundary
        ("公安" in 公安|局 or 公安机关, not in 办公|安排)."""
        start = text.find(word)
        while start >= 0:
            lo = max(0, start - WHOLE_WORD_CONTEXT)
            window = text[lo : start + len(word) + WHOLE_WORD_CONTEXT]
            cuts, pos = set(), lo
            for tok in segment.words(window, self._extra_words):
                pos += len(tok)
                cuts.add(pos)
            end = start + len(word)
            inner = [c for c in cuts if start < c < end]
            if not inner or ((start == lo or start in cuts) and (end in cuts)):
                return True
            start = text.find(word, start + 1)
        return False

    # -- deciding ---------------------------------------------------------

    def categorise(self, text: str) -> Decision:
        rules = self.rules
        ids = self.matched(match_form(text or ""))
        acc = [0.0] * self._n_slots
        n_learned = 0
        learned_norm = 0.0
        learned_eff, hand_eff, n_g = self._learned_eff, self._hand_eff, self._cat_base
        for i, c in ids.items():
            # Learned weights scale with occurrences (as in training); hand-written
            # keywords count once, so repeating a word cannot shout a category up.
            le = learned_eff[i]
            if le:
                n_learned += 1
                learned_norm += c * c
                for slot, w in le:
                    acc[slot] += w * c
            he = hand_eff[i]
            if he:
                for slot, w in he:
                    acc[slot] += w
        if learned_norm:
            inv = 1.0 / math.sqrt(learned_norm)
            for gi in range(n_g):
                acc[gi] *= inv
        urgent = ()
        if not self._is_urgent.isdisjoint(ids):
            urgent = tuple(self._keywords[i] for i in ids if i in self._is_urgent)
        kind, kind_dept = self._kind(acc)

        cat_scores = acc[self._cat_base : self._kind_base]
        group, score = self._decide_group(acc, n_learned, cat_scores, len(text or ""))
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

    def _decide_group(
        self, acc: list[float], n_learned: int, cat_scores: list[float], length: int
    ) -> tuple[str, float]:
        rules = self.rules
        best_j, best_s = -1, 0.0
        for j, s in enumerate(cat_scores):
            if s > best_s:
                best_j, best_s = j, s
        # Confidence from hand-written weights: one typical strong keyword (3) gives 0.63.
        hand_conf = 1.0 - math.exp(-best_s / HAND_SCALE) if best_s > 0 else 0.0
        if not self._learned or n_learned == 0:
            # Nothing learned applies (a hand-written rules file, or a message of unseen
            # words): the hand-written categories decide alone.
            if best_j >= 0 and hand_conf >= rules.threshold:
                return self._cats[best_j].group, hand_conf
            return OTHER, hand_conf
        # Hand-written categories add to their group's logit, more so the shorter the
        # message: learned weights were fitted on letters of a few hundred characters and
        # say little about a one-line chat message with a clear domain word. Groups without
        # learned keywords (公安政法 ...) compete from a fixed base logit.
        boost = rules.category_boost * max(1.0, rules.short_message_chars / max(length, 1))
        best_in = self._best_per_group(cat_scores)
        names: list[str] = []
        logits: list[float] = []
        for gi, g in enumerate(self._learned):
            names.append(g.name)
            logits.append(g.bias + acc[gi] + boost * best_in.get(g.name, 0.0))
        for name, s in best_in.items():
            if name not in self._learned_names and s > 0:
                names.append(name)
                logits.append(rules.unlearned_bias + boost * s)
        top = max(logits)
        total = sum(math.exp(z - top) for z in logits)
        k = logits.index(top)
        p = 1.0 / total
        if p < rules.threshold:
            return OTHER, p
        return names[k], p

    def _best_per_group(self, cat_scores: list[float]) -> dict[str, float]:
        best: dict[str, float] = {}
        for j, s in enumerate(cat_scores):
            if s > 0:
                g = self._cats[j].group
                if s > best.get(g, 0.0):
                    best[g] = s
        return best

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

    def _explain(self, ids, group: str | None, category: str | None) -> tuple[tuple[str, float], ...]:
        """Keywords that pushed the message towards the decided group and category
        (for 其他: every keyword with a positive weight anywhere)."""
        kws = self._keywords
        out: dict[str, float] = {}
        if group is None:
            for i in ids:
                w = max((wt for slot, wt in self._effects[i] if slot < self._kind_base), default=0.0)
                if w > 0:
                    out[kws[i]] = w
        else:
            gs = self._group_slot.get(group, -1)
            cs = self._cat_slot.get(category, -1)
            maps = self._effect_maps
            for i in ids:
                m = maps[i]
                w = m.get(gs, 0.0) + m.get(cs, 0.0)
                if w > 0:
                    out[kws[i]] = w
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
