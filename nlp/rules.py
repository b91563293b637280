"""Loading the categorisation rules file into immutable objects.

The rules file (YAML, edited by the operator, default `nlp/rules.yaml`) holds:
learned keyword weights per first-level group (一级分类), hand-written
categories with keywords, negative keywords, department and deadline
overrides, kind-of-petition hints, urgency keywords and the confidence
threshold. Everything here is data; scoring lives in `nlp.categorise`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlp.alarm import AlarmRules
from nlp.normalize import match_form

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")
DEFAULT_USERDICT_PATH = Path(__file__).with_name("userdict.txt")
OTHER = "其他"
KINDS = ("建议意见类", "检举控告类", "申诉求决类")

# libyaml parses the few thousand learned weights ten times faster than pure Python.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RulesError(ValueError):
    """The rules file is malformed; the message says where."""


@dataclass(frozen=True)
class Category:
    name: str
    group: str
    department: str
    keywords: dict[str, float] = field(default_factory=dict)
    negative: dict[str, float] = field(default_factory=dict)
    deadlines: dict[str, int] = field(default_factory=dict)
    # Keywords that only count when one of `paired_with` is in the message too: "克扣" is
    # official wrongdoing next to "干部", a labour dispute next to "包工头".
    paired: dict[str, float] = field(default_factory=dict)
    paired_with: tuple[str, ...] = ()
    # A hand score at least this high sends the case to this category's department whatever
    # its topic (0 = never): an allegation against an official goes to the discipline body even
    # inside a long letter about land compensation, which keeps its topic (category and group).
    department_override: float = 0.0
    # The kind this category implies (an allegation of official wrongdoing is 检举控告类).
    kind: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    default_category: str
    bias: float = 0.0
    # Learned from labelled messages; empty for groups only reached through categories.
    keywords: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class KindRule:
    """Hints for the kind of petition. The kind never routes: 检举控告类 protects the reporter's
    identity, and only the category (official wrongdoing) sends a case to the discipline body.
    A `department` key in an older rules file is read and ignored."""

    name: str
    keywords: dict[str, float]
    min_score: float


@dataclass(frozen=True)
class SeparationRoute:
    """诉访分离: a legal procedure (litigation, arbitration, reconsideration) a claim belongs to."""

    name: str
    body: str
    limit: str
    keywords: dict[str, float]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    path: str
    threshold: float
    unlearned_bias: float
    short_message_chars: int
    category_boost: float
    triage_department: str
    supervision_department: str
    default_kind: str
    groups_by_name: dict[str, Group]
    categories: list[Category]
    kinds: list[KindRule]
    urgent: tuple[str, ...]
    whole_words: frozenset[str]
    userdict: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    alarm: AlarmRules = field(default_factory=AlarmRules)
    separation: tuple[SeparationRoute, ...] = ()
    separation_contest: dict[str, float] = field(default_factory=dict)
    separation_min_score: float = 3.0
    # A message shorter than this that hits no hand-written category keyword names no topic
    # unless the learned groups are at least `topic_min_confidence` sure: a few learned single
    # characters are no evidence in one line of chat (0 = off).
    topic_min_chars: int = 0
    topic_min_confidence: float = 0.95

    @property
    def groups(self) -> list[str]:
        return list(self.groups_by_name)

    @property
    def learned_groups(self) -> list[str]:
        return [g.name for g in self.groups_by_name.values() if g.keywords]

    @property
    def departments(self) -> list[str]:
        names = {c.department for c in self.categories}
        names.update((self.triage_department, self.supervision_department))
        return sorted(names)

    def category(self, name: str) -> Category:
        for c in self.categories:
            if c.name == name:
                return c
        raise KeyError(name)

    def separation_route(self, word: str) -> SeparationRoute | None:
        """The route a staff member names (诉讼, 法院, 劳动仲裁 …), or None."""
        word = word.strip()
        for r in self.separation:
            if word == r.name or word in r.aliases:
                return r
        return None


def _weights(value: Any, where: str) -> dict[str, float]:
    """Keywords may be written as a mapping {kw: weight} or as a plain list (weight 1)."""
    if value is None:
        return {}
    if isinstance(value, list):
        value = {str(k): 1.0 for k in value}
    if not isinstance(value, dict):
        raise RulesError(f"{where}: expected a mapping of keyword: weight or a list")
    out: dict[str, float] = {}
    for k, w in value.items():
        key = match_form(str(k))
        if not key:
            continue
        try:
            out[key] = float(w)
        except (TypeError, ValueError):
            raise RulesError(f"{where}: weight of {k!r} is not a number") from None
    return out


def parse_rules(data: dict[str, Any], path: str = "<memory>") -> Rules:
    """Build `Rules` from the parsed YAML mapping, checking references between sections."""
    if not isinstance(data, dict):
        raise RulesError(f"{path}: top level must be a mapping")
    triage = str(data.get("triage_department", "信访局"))
    groups: dict[str, Group] = {}
    for name, g in (data.get("groups") or {}).items():
        g = g or {}
        groups[str(name)] = Group(
            name=str(name),
            default_category=str(g.get("default_category", OTHER)),
            bias=float(g.get("bias", 0.0)),
            keywords=_weights(g.get("keywords"), f"groups.{name}.keywords"),
        )
    groups.setdefault(OTHER, Group(OTHER, OTHER))
    categories: list[Category] = []
    for i, c in enumerate(data.get("categories") or []):
        where = f"categories[{i}]"
        if not isinstance(c, dict) or "name" not in c:
            raise RulesError(f"{where}: needs at least a name")
        group = str(c.get("group", OTHER))
        if group not in groups:
            raise RulesError(f"{where} ({c['name']}): unknown group {group!r}")
        categories.append(
            Category(
                name=str(c["name"]),
                group=group,
                department=str(c.get("department", triage)),
                keywords=_weights(c.get("keywords"), f"{where}.keywords"),
                negative=_weights(c.get("negative"), f"{where}.negative"),
                deadlines={str(k): int(v) for k, v in (c.get("deadlines") or {}).items()},
                paired=_weights((c.get("paired") or {}).get("keywords"), f"{where}.paired.keywords"),
                paired_with=_words((c.get("paired") or {}).get("with"), f"{where}.paired.with"),
                department_override=float(c.get("department_override", 0.0)),
                kind=_kind_name(c.get("kind"), f"{where}.kind"),
            )
        )
    if not any(c.name == OTHER for c in categories):
        categories.append(Category(OTHER, OTHER, triage))
    names = {c.name for c in categories}
    for g in groups.values():
        if g.default_category not in names:
            raise RulesError(f"groups.{g.name}: default_category {g.default_category!r} is not a category")
    kinds = []
    for name, k in (data.get("kinds") or {}).items():
        if name not in KINDS:
            raise RulesError(f"kinds: unknown kind {name!r}, expected one of {KINDS}")
        k = k or {}
        kinds.append(
            KindRule(
                name=name,
                keywords=_weights(k.get("keywords"), f"kinds.{name}.keywords"),
                min_score=float(k.get("min_score", 1.0)),
            )
        )
    urgent = tuple(match_form(str(u)) for u in (data.get("urgent") or []) if str(u).strip())
    return Rules(
        path=path,
        threshold=float(data.get("threshold", 0.4)),
        unlearned_bias=float(data.get("unlearned_bias", -3.0)),
        short_message_chars=int(data.get("short_message_chars", 120)),
        category_boost=float(data.get("category_boost", 0.3)),
        triage_department=triage,
        supervision_department=str(data.get("supervision_department", "督查室")),
        default_kind=str(data.get("default_kind", "申诉求决类")),
        groups_by_name=groups,
        categories=categories,
        kinds=kinds,
        urgent=urgent,
        whole_words=frozenset(match_form(str(w)) for w in (data.get("whole_words") or [])),
        userdict=tuple(str(w) for w in (data.get("userdict") or [])),
        raw=data,
        alarm=_alarm(data.get("alarm"), urgent),
        separation=_separation(data.get("separation")),
        separation_contest=_weights((data.get("separation") or {}).get("contest"), "separation.contest"),
        separation_min_score=float((data.get("separation") or {}).get("min_score", 3.0)),
        topic_min_chars=int(data.get("topic_min_chars", 0)),
        topic_min_confidence=float(data.get("topic_min_confidence", 0.95)),
    )


def _words(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RulesError(f"{where}: expected a list of words")
    return tuple(w for w in (match_form(str(v)) for v in value) if w)


def _kind_name(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if value not in KINDS:
        raise RulesError(f"{where}: unknown kind {value!r}, expected one of {KINDS}")
    return str(value)


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    out = []
    for p in value or []:
        try:
            re.compile(str(p))
        except re.error as exc:
            raise RulesError(f"{where}: bad pattern {p!r}: {exc}") from None
        out.append(str(p))
    return tuple(out)


def _alarm(value: Any, urgent: tuple[str, ...]) -> AlarmRules:
    """The `alarm` section; a rules file that only has the older flat `urgent` list gets those
    words as collective acts (still judged in context: past and negated uses raise nothing)."""
    if value is None:
        return AlarmRules(collective=urgent)
    if not isinstance(value, dict):
        raise RulesError("alarm: expected a mapping")
    word_keys = ("self_harm", "collective", "petition", "capital", "group", "plan", "negation", "past", "inquiry")
    # Keys left out keep the defaults (the negation, past and question words); [] switches one off.
    kw = {k: _words(value.get(k), f"alarm.{k}") for k in word_keys if k in value}
    kw.setdefault("collective", ())
    kw["collective"] = tuple(dict.fromkeys(kw["collective"] + urgent))
    for k in ("collective_patterns", "petition_patterns", "group_patterns"):
        kw[k] = _patterns(value.get(k), f"alarm.{k}")
    return AlarmRules(**kw)


def _separation(value: Any) -> tuple[SeparationRoute, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise RulesError("separation: expected a mapping")
    routes = []
    for name, r in (value.get("routes") or {}).items():
        where = f"separation.routes.{name}"
        if not isinstance(r, dict) or not r.get("body") or not r.get("limit"):
            raise RulesError(f"{where}: needs body (the competent body) and limit (the time limit to apply)")
        routes.append(SeparationRoute(
            name=str(name), body=str(r["body"]), limit=str(r["limit"]),
            keywords=_weights(r.get("keywords"), f"{where}.keywords"),
            aliases=tuple(str(a) for a in (r.get("aliases") or [])),
        ))
    return tuple(routes)


def read_rules_data(path: str | Path | None = None) -> dict[str, Any]:
    """The rules file as a plain mapping, for tools that edit it (merge)."""
    p = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        with p.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise RulesError(f"{p}: not valid YAML: {exc}") from None
    return data or {}


_cache: dict[str, Rules] = {}
_lock = threading.Lock()


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and validate a rules file; None means the packaged default. Cached per
    resolved path, so call `clear_cache()` after editing a file in-process."""
    p = Path(path) if path is not None else DEFAULT_RULES_PATH
    key = str(p.resolve())
    with _lock:
        if key not in _cache:
            _cache[key] = parse_rules(read_rules_data(p), key)
        return _cache[key]


def clear_cache() -> None:
    with _lock:
        _cache.clear()
