"""Folding a reviewed learned-keywords fragment into a rules file.

A group-level fragment replaces the learned keywords and bias of each group it
names; a category-level fragment replaces the keywords of each category it
names. Hand-written categories, negatives, kinds and urgency words are kept.

``merge_files`` edits the rules file as a round-trip document (ruamel.yaml): the operators'
comments, key order and quoting survive; only the merged keys are rewritten.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from nlp.rules import DEFAULT_RULES_PATH, RulesError, parse_rules, read_rules_data

HEADER = (
    "# xinfang-bot categorisation rules. Edit by hand; `xinfang rules merge` rewrites\n"
    "# the learned `groups.*.keywords` from a reviewed fragment (see nlp/build_default_rules.py).\n"
)


def merge_fragment(rules_data: dict[str, Any], frag: dict[str, Any]) -> dict[str, Any]:
    """A new rules mapping with the fragment's classes folded in; the input is not changed."""
    if not isinstance(frag, dict) or not isinstance(frag.get("classes"), dict):
        raise RulesError("fragment has no 'classes' mapping; was it written by `rules learn`?")
    level = frag.get("level", "group")
    out = copy.deepcopy(rules_data)
    if level == "group":
        groups = out.setdefault("groups", {})
        for name, cls in frag["classes"].items():
            g = groups.setdefault(name, {})
            if g is None:
                g = groups[name] = {}
            g.setdefault("default_category", "其他")
            g["bias"] = float(cls.get("bias", 0.0))
            g["keywords"] = dict(cls.get("keywords") or {})
    elif level == "category":
        by_name = {c.get("name"): c for c in out.get("categories") or []}
        unknown = [n for n in frag["classes"] if n not in by_name]
        if unknown:
            raise RulesError(f"fragment names categories not in the rules file: {', '.join(unknown)}")
        for name, cls in frag["classes"].items():
            by_name[name]["keywords"] = dict(cls.get("keywords") or {})
    else:
        raise RulesError(f"fragment level must be 'group' or 'category', not {level!r}")
    parse_rules(out)  # refuse to write a rules file that would not load
    return out


def dump_rules(data: dict[str, Any]) -> str:
    return HEADER + yaml.dump(data, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)


def merge_files(
    fragment_path: str | Path, rules_path: str | Path | None, out_path: str | Path
) -> dict[str, Any]:
    with open(fragment_path, encoding="utf-8") as fh:
        try:
            frag = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise RulesError(f"{fragment_path}: not valid YAML: {exc}") from None
    # Validate on plain data first: nothing is written unless the result loads.
    merged = merge_fragment(read_rules_data(rules_path), frag)
    source = Path(rules_path) if rules_path is not None else DEFAULT_RULES_PATH
    rt = _round_trip()
    with source.open(encoding="utf-8") as fh:
        doc = rt.load(fh)
    if doc is None:
        Path(out_path).write_text(dump_rules(merged), encoding="utf-8")
        return merged
    _apply_in_place(doc, frag)
    with open(out_path, "w", encoding="utf-8") as fh:
        rt.dump(doc, fh)
    return merged


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    rt.allow_unicode = True
    return rt


def _apply_in_place(doc: Any, frag: dict[str, Any]) -> None:
    """``merge_fragment``'s change, made on the round-trip document (already validated)."""
    from ruamel.yaml.comments import CommentedMap

    if frag.get("level", "group") == "group":
        if doc.get("groups") is None:
            doc["groups"] = CommentedMap()
        groups = doc["groups"]
        for name, cls in frag["classes"].items():
            if groups.get(name) is None:
                groups[name] = CommentedMap()
            g = groups[name]
            if "default_category" not in g:
                g["default_category"] = "其他"
            g["bias"] = float(cls.get("bias", 0.0))
            g["keywords"] = CommentedMap(cls.get("keywords") or {})
    else:
        by_name = {c.get("name"): c for c in doc.get("categories") or []}
        for name, cls in frag["classes"].items():
            by_name[name]["keywords"] = CommentedMap(cls.get("keywords") or {})
