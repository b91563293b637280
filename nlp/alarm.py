"""Judging alarm words in context: is a group about to act, or is someone threatening self-harm?

A bare keyword list raises alarms on "去年去过市里上访" (a past visit) and "我没有去上访" (a
negation) and misses "明天我们全村人都去镇政府门口讨说法" (a crowd with a plan and no keyword).
Here each alarm word is read in its clause and sentence:

- self-harm words (跳楼, 喝农药 …) and collective acts (堵路, 静坐, 拉横幅, 集体上访, 联名 …) raise an
  alarm unless the clause puts them in the past, negates them or asks about them;
- petition acts (上访, 讨说法, 去县政府 …) raise an alarm only when the same sentence names a group
  (几十户, 全村, 村民们, 一起 …) and a plan (准备, 明天, 约好, 再不…就 …), or the capital (北京).

Word lists come from the rules file's ``alarm`` section (`AlarmRules`); this module is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Clauses end at any punctuation; sentences only at full stops (a plan and its group are often
# in neighbouring clauses: "全组的人都说好了，这个周末去堵国道").
_CLAUSE_END = re.compile(r"[，,。！？!?；;：:\n]")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_QUESTION_END = re.compile(r"[？?]")
# A negation only counts when it stands just before the act ("不会去静坐", "没人愿意去静坐"),
# and never across a conditional: "没解决就去堵路" is a threat, not a denial.
NEGATION_GAP = 3
_CONDITIONAL = "就"

# What makes an act past, negated or a question is language, not local policy: a rules file that
# does not list these words (or predates the `alarm` section) gets these.
DEFAULT_NEGATION = ("没有", "没人", "没", "不会", "不想", "不打算", "不准备", "不愿", "不要", "不是", "不再", "绝不",
                    "从未", "从来没", "别", "防止", "避免", "劝")
DEFAULT_PAST = ("去年", "前年", "以前", "之前", "曾经", "上次", "上回", "年前", "当时", "那时", "当年", "那年", "早年",
                "前些年", "去过", "之后")
DEFAULT_INQUIRY = ("请问", "怎么", "如何", "什么", "哪", "吗", "能否", "可以")

SELF_HARM = "self_harm"
COLLECTIVE = "collective"
PETITION = "petition"


@dataclass(frozen=True)
class AlarmRules:
    self_harm: tuple[str, ...] = ()
    collective: tuple[str, ...] = ()
    collective_patterns: tuple[str, ...] = ()
    petition: tuple[str, ...] = ()
    petition_patterns: tuple[str, ...] = ()
    capital: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    group_patterns: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()
    negation: tuple[str, ...] = DEFAULT_NEGATION
    past: tuple[str, ...] = DEFAULT_PAST
    past_suffix: tuple[str, ...] = ("过",)
    inquiry: tuple[str, ...] = DEFAULT_INQUIRY


@dataclass(frozen=True)
class Alarm:
    """Why a message raised an alarm: the words behind it (act first) and a staff-readable reason."""

    words: tuple[str, ...]
    reason: str

    def __bool__(self) -> bool:
        return bool(self.words)


NO_ALARM = Alarm((), "")


def _alternation(words: Iterable[str], patterns: Iterable[str] = ()) -> re.Pattern[str] | None:
    # Longest first, so "集体上访" wins over "上访" at the same position.
    parts = [re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w]
    parts += [f"(?:{p})" for p in patterns if p]
    return re.compile("|".join(parts)) if parts else None


class AlarmJudge:
    """Compiled form of `AlarmRules`; `judge(text)` on text already in match form."""

    def __init__(self, rules: AlarmRules):
        self.rules = rules
        # Literal act words in one alternation and each pattern family on its own: mixing
        # patterns into the literal alternation costs the regex engine its prefix scan and
        # made the check eight times slower on long letters.
        self._class: dict[str, str] = {}
        for cls, words in ((SELF_HARM, rules.self_harm), (COLLECTIVE, rules.collective), (PETITION, rules.petition)):
            for w in words:
                self._class.setdefault(w, cls)
        self._scans: list[tuple[re.Pattern[str], str | None]] = []
        literal = _alternation(self._class)
        if literal is not None:
            self._scans.append((literal, None))
        for cls, patterns in ((COLLECTIVE, rules.collective_patterns), (PETITION, rules.petition_patterns)):
            compiled = _alternation((), patterns)
            if compiled is not None:
                self._scans.append((compiled, cls))
        self._group = _alternation(rules.group, rules.group_patterns)
        self._plan = _alternation(rules.plan)
        self._capital = _alternation(rules.capital)
        self._negation = _alternation(rules.negation)
        self._past = _alternation(rules.past)
        self._inquiry = _alternation(rules.inquiry)

    def _acts(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, word, class) of every act in text, in order of position."""
        found = []
        for pattern, cls in self._scans:
            for m in pattern.finditer(text):
                word = m.group()
                found.append((m.start(), m.end(), word, cls or self._class.get(word, PETITION)))
        found.sort()
        return found

    def judge(self, text: str) -> Alarm:
        if not self._scans or not text:
            return NO_ALARM
        acts = self._acts(text)
        if not acts:
            return NO_ALARM
        raised: list[str] = []
        reasons: list[str] = []
        for start, end, word, cls in acts:
            clause_start, clause_end = _bounds(text, start, end, _CLAUSE_END)
            clause = text[clause_start:clause_end]
            if self._discounted(text, start, end, clause_start, clause):
                continue
            if cls == SELF_HARM:
                raised.append(word)
                reasons.append(f"极端言行：{word}")
                continue
            if cls == COLLECTIVE:
                raised.append(word)
                reasons.append(f"集体行动：{word}")
                continue
            s_start, s_end = _bounds(text, start, end, _SENTENCE_END)
            sentence = text[s_start:s_end]
            capital = self._capital.search(sentence) if self._capital else None
            if capital is not None and not self._discounted_span(sentence, capital.start(), capital.end()):
                raised += [word, capital.group()]
                reasons.append(f"进京：{capital.group()}、{word}")
                continue
            group = self._group.search(sentence) if self._group else None
            plan = self._plan.search(sentence) if self._plan else None
            if group is not None and plan is not None:
                raised += [word, group.group(), plan.group()]
                reasons.append(f"群体+计划：{group.group()}、{plan.group()}、{word}")
        if not raised:
            return NO_ALARM
        return Alarm(tuple(dict.fromkeys(raised)), "；".join(dict.fromkeys(reasons)))

    def _discounted_span(self, sentence: str, start: int, end: int) -> bool:
        c_start, c_end = _bounds(sentence, start, end, _CLAUSE_END)
        return self._discounted(sentence, start, end, c_start, sentence[c_start:c_end])

    def _discounted(self, text: str, start: int, end: int, clause_start: int, clause: str) -> bool:
        """Past, negated or asked about: the act is not an alarm."""
        rules = self.rules
        after = text[end : end + 1]
        if after and after in rules.past_suffix:
            return True
        if self._past is not None and self._past.search(clause):
            return True
        if self._negation is not None:
            rel = start - clause_start
            for n in self._negation.finditer(clause, 0, rel):
                gap = clause[n.end() : rel]
                if len(gap) <= NEGATION_GAP and _CONDITIONAL not in gap:
                    return True
        if self._inquiry is not None and _QUESTION_END.match(text, clause_start + len(clause)):
            if self._inquiry.search(clause):
                return True
        return False


def _bounds(text: str, start: int, end: int, stops: re.Pattern[str]) -> tuple[int, int]:
    """Start and end of the span around [start, end) delimited by ``stops``."""
    lo = 0
    for m in stops.finditer(text, 0, start):
        lo = m.end()
    hi_m = stops.search(text, end)
    hi = hi_m.start() if hi_m else len(text)
    return lo, hi
