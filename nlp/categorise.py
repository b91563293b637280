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
from nlp.alarm import AlarmJudge
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
# A paired keyword ("克扣") counts only with its partner ("干部") this many characters either side.
PAIR_WINDOW = 16
# How much a partner word is listed with when its pair held (it explains, it does not score).
PARTNER_WEIGHT = 1.0


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
    # Why the message went to the triage desk (empty when it was routed): shown to staff.
    reason: str = ""
    # Why the alarm words count (empty when there is no alarm): shown to staff with the alert.
    alarm: str = ""
    # 诉访分离: the legal route (a `separation` route name of the rules file) the claim belongs to.
    separation: str | None = None

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
            "reason": self.reason,
            "alarm": self.alarm,
            "separation": self.separation,
        }


REASON_NO_KEYWORDS = "未识别出具体问题：没有命中任何分类关键词"
REASON_NO_TOPIC = "未提到具体问题：没有命中任何类别关键词，仅凭零散字词不足以判断"
REASON_LOW = "分类把握不足：置信度 {score:.2f}，低于阈值 {threshold:.2f}"


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
        # After the kinds: per category with paired keywords, one slot summing them and one
        # counting its partner words; then one slot per 诉访分离 route and one for contest words.
        self._paired = [(j, c) for j, c in enumerate(self._cats) if c.paired and c.paired_with]
        self._pair_base = self._kind_base + len(rules.kinds)
        self._sep_base = self._pair_base + 2 * len(self._paired)
        self._contest_slot = self._sep_base + len(rules.separation)
        self._n_slots = self._contest_slot + 1
        self._overrides = [(j, c.department_override) for j, c in enumerate(self._cats) if c.department_override > 0]
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
        for pi, (_j, c) in enumerate(self._paired):
            for kw, w in c.paired.items():
                effects.setdefault(kw, []).append((self._pair_base + 2 * pi, w))
            for kw in c.paired_with:
                effects.setdefault(kw, []).append((self._pair_base + 2 * pi + 1, 1.0))
        for ri, route in enumerate(rules.separation):
            for kw, w in route.keywords.items():
                effects.setdefault(kw, []).append((self._sep_base + ri, w))
        for kw, w in rules.separation_contest.items():
            effects.setdefault(kw, []).append((self._contest_slot, w))
        self._alarm = AlarmJudge(rules.alarm)

        self._keywords: list[str] = list(effects)
        self._keyword_id = {k: i for i, k in enumerate(self._keywords)}
        self._effects: list[tuple[tuple[int, float], ...]] = [tuple(effects[k]) for k in self._keywords]
        self._effect_maps = [dict(e) for e in self._effects]
        self._learned_eff = [tuple(e for e in eff if e[0] < n_g) for eff in self._effects]
        self._hand_eff = [tuple(e for e in eff if e[0] >= n_g) for eff in self._effects]
        self._group_slot = {g.name: gi for gi, g in enumerate(self._learned)}
        self._cat_slot = {c.name: n_g + j for j, c in enumerate(self._cats)}
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
        text = match_form(text or "")
        ids = self.matched(text)
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
        paired_held: dict[int, float] = {}
        for pi, (j, c) in enumerate(self._paired):
            if acc[self._pair_base + 2 * pi] > 0 and acc[self._pair_base + 2 * pi + 1] > 0:
                held = self._pairs_held(text, ids, c)
                acc[n_g + j] += sum(w for i, w in held.items() if self._keywords[i] in c.paired)
                paired_held.update(held)
        alarm = self._alarm.judge(text)
        kind = self._kind(acc)

        cat_scores = acc[self._cat_base : self._kind_base]
        group, score = self._decide_group(acc, n_learned, cat_scores, len(text))
        if group == OTHER:
            category = self._other_cat
        else:
            category = self._category_in(group, cat_scores)
        listed = self._explain(ids, group, category.name, paired_held)
        reason = ""
        if group != OTHER and not listed:
            group, category = OTHER, self._other_cat
        elif (group != OTHER and rules.topic_min_chars and len(text) < rules.topic_min_chars
              and score < rules.topic_min_confidence and max(cat_scores, default=0.0) <= 0):
            group, category, reason = OTHER, self._other_cat, REASON_NO_TOPIC
        override = self._override(cat_scores)
        if override is not None and group == OTHER:
            # Nothing else to say about the topic: the allegation is the topic.
            group, category, reason = override.group, override, ""
            score = 1.0 - math.exp(-cat_scores[self._cats.index(override)] / HAND_SCALE)
            listed = self._explain(ids, group, category.name, paired_held)
        if group == OTHER:
            department = rules.triage_department
            listed = self._explain(ids, None, None)
            if not reason:
                reason = REASON_LOW.format(score=score, threshold=rules.threshold) if listed else REASON_NO_KEYWORDS
        elif override is not None:
            department = override.department
            if override is not category:
                listed = _merge_explained(listed, self._explain(ids, override.group, override.name, paired_held))
        else:
            department = category.department
        if override is not None and override.kind:
            kind = override.kind
        elif category.kind:
            kind = category.kind
        return Decision(
            category=category.name,
            group=group,
            department=department,
            score=score,
            keywords=listed,
            urgent=alarm.words,
            kind=kind,
            deadlines=dict(category.deadlines),
            reason=reason,
            alarm=alarm.reason,
            separation=self._separation(acc),
        )

    def _override(self, cat_scores: list[float]):
        """The category whose department takes the case whatever its topic, if one scored enough."""
        best, best_s = None, 0.0
        for j, threshold in self._overrides:
            s = cat_scores[j]
            if s >= threshold and s > best_s:
                best, best_s = self._cats[j], s
        return best

    def _separation(self, acc: list[float]) -> str | None:
        routes = self.rules.separation
        best, best_s = None, 0.0
        for ri, route in enumerate(routes):
            s = acc[self._sep_base + ri]
            if s > best_s:
                best, best_s = route.name, s
        if best is None or best_s + acc[self._contest_slot] < self.rules.separation_min_score:
            return None
        return best

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

    def _kind(self, acc: list[float]) -> str:
        for ki, k in enumerate(self.rules.kinds):
            if acc[self._kind_base + ki] >= k.min_score:
                return k.name
        return self.rules.default_kind

    def _pairs_held(self, text: str, ids: dict[int, int], c) -> dict[int, float]:
        """{keyword id: weight} of the paired keywords of ``c`` that have a partner word within
        PAIR_WINDOW characters, and of those partners: "尊敬的领导" in a letter's salutation does
        not make "不给退款" three paragraphs later an official's wrongdoing."""
        kws = self._keywords
        partners = [kws[i] for i in ids if kws[i] in c.paired_with]
        held: dict[int, float] = {}
        for i in ids:
            kw = kws[i]
            if kw not in c.paired:
                continue
            start = text.find(kw)
            while start >= 0:
                window = text[max(0, start - PAIR_WINDOW) : start + len(kw) + PAIR_WINDOW]
                near = [p for p in partners if p in window]
                if near:
                    held[i] = c.paired[kw]
                    for p in near:
                        held[self._keyword_id[p]] = PARTNER_WEIGHT
                    break
                start = text.find(kw, start + 1)
        return held

    def _explain(self, ids, group: str | None, category: str | None,
                 paired_held: dict[int, float] | None = None) -> tuple[tuple[str, float], ...]:
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
            # Paired keywords and their partner words explain the category when the pair held.
            if paired_held and any(self._cat_slot.get(c.name) == cs for _, c in self._paired):
                for i, w in paired_held.items():
                    out[kws[i]] = out.get(kws[i], 0.0) + w
        ranked = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))
        return tuple(ranked[:MAX_LISTED_KEYWORDS])


def _merge_explained(*lists) -> tuple[tuple[str, float], ...]:
    out: dict[str, float] = {}
    for listed in lists:
        for k, w in listed:
            out[k] = max(w, out.get(k, 0.0))
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
