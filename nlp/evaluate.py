"""Measuring rules against labelled messages: accuracy, macro-F1, per-class
precision and recall, confusion matrix, throughput, and k-fold cross-validation
of the learn -> merge -> categorise pipeline (so figures are on data the
learned keywords were not fitted on)."""

from __future__ import annotations

import csv
import io
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.categorise import Categoriser
from nlp.rules import Rules, parse_rules
from nlp.text_files import UndecodableText, read_text_file


class DataError(ValueError):
    """A labelled file that cannot be used; the message says why."""


def read_labelled_csv(path: str | Path) -> tuple[list[str], list[str]]:
    """`text,label` rows of a CSV file (UTF-8 with or without BOM, or GBK/GB18030)."""
    try:
        content = read_text_file(path)
    except UndecodableText as exc:
        raise DataError(str(exc)) from None
    with io.StringIO(content, newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        missing = [c for c in ("text", "label") if c not in cols]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(cols) or 'none'}"
            )
        texts, labels = [], []
        for row in reader:
            if row["label"] is None or not row["label"].strip():
                continue
            texts.append(row["text"] or "")
            labels.append(row["label"].strip())
    if not texts:
        raise DataError(f"{path}: no labelled rows")
    return texts, labels


def metrics(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(gold) | set(pred))
    conf: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, pred, strict=True):
        conf[g][p] += 1
    per_class = {}
    f1s = []
    for c in labels:
        tp = conf[c][c]
        n_pred = sum(conf[g][c] for g in labels)
        n_gold = sum(conf[c].values())
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[c] = {
            "precision": round(prec, 4),
            "recall": round(rec, 4),
            "f1": round(f1, 4),
            "support": n_gold,
        }
        if n_gold:
            f1s.append(f1)
    acc = sum(conf[c][c] for c in labels) / len(gold) if gold else 0.0
    return {
        "n": len(gold),
        "accuracy": round(acc, 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "per_class": per_class,
        "labels": labels,
        "confusion": {g: {p: conf[g][p] for p in labels} for g in labels},
    }


def evaluate(
    cat: Categoriser, texts: Sequence[str], labels: Sequence[str], level: str = "group"
) -> dict[str, Any]:
    start = time.perf_counter()
    decisions = [cat.categorise(t) for t in texts]
    elapsed = time.perf_counter() - start
    pred = [d.group if level == "group" else d.category for d in decisions]
    out = metrics(labels, pred)
    out["level"] = level
    out["seconds"] = round(elapsed, 4)
    out["msg_per_s"] = round(len(texts) / elapsed, 1) if elapsed > 0 else None
    return out


def stratified_folds(labels: Sequence[str], k: int = 5, seed: int = 0) -> list[list[int]]:
    """Index lists of k folds with each label spread evenly; deterministic for a seed."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_label[lab].append(i)
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for lab in sorted(by_label):
        idx = by_label[lab]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(i)
        offset += len(idx)
    return [sorted(f) for f in folds]


def rules_from_learned(
    base: dict[str, Any], texts: Sequence[str], labels: Sequence[str], level: str = "group", **learn_kw
) -> Rules:
    """Rules = `base` rules data with keywords learned from (texts, labels) merged in."""
    from nlp.learn import fragment, learn
    from nlp.merge import merge_fragment

    model = learn(texts, labels, **learn_kw)
    frag = fragment(model, [], [], level=level)
    return parse_rules(merge_fragment(base, frag), "<cv>")


def cross_validate(
    base: dict[str, Any],
    texts: Sequence[str],
    labels: Sequence[str],
    k: int = 5,
    seed: int = 0,
    level: str = "group",
    **learn_kw,
) -> dict[str, Any]:
    """Fit on k-1 folds, categorise the held-out fold, pool predictions over all folds."""
    folds = stratified_folds(labels, k, seed)
    pred: list[str | None] = [None] * len(texts)
    seconds = 0.0
    for f in folds:
        held = set(f)
        train = [i for i in range(len(texts)) if i not in held]
        rules = rules_from_learned(
            base, [texts[i] for i in train], [labels[i] for i in train], level, **learn_kw
        )
        cat = Categoriser(rules)
        start = time.perf_counter()
        for i in f:
            d = cat.categorise(texts[i])
            pred[i] = d.group if level == "group" else d.category
        seconds += time.perf_counter() - start
    out = metrics(labels, pred)  # type: ignore[arg-type]
    out.update(level=level, folds=k, seed=seed, msg_per_s=round(len(texts) / seconds, 1) if seconds else None)
    return out


def hand_written_part(rules_data: dict[str, Any]) -> dict[str, Any]:
    """A rules mapping with the learned group keywords and biases removed: what the
    learned part is fitted on top of, so cross-validation never sees held-out keywords."""
    import copy

    out = copy.deepcopy(rules_data)
    for g in (out.get("groups") or {}).values():
        if isinstance(g, dict):
            g.pop("keywords", None)
            g.pop("bias", None)
    return out


def cross_validate_rules(
    rules_path: str | Path | None,
    texts: Sequence[str],
    labels: Sequence[str],
    k: int = 5,
    seed: int = 0,
    **learn_kw,
) -> dict[str, Any]:
    """k-fold CV of a rules file the way it is built: its hand-written part plus
    group keywords learned on k-1 folds, evaluated on the remaining fold."""
    from nlp.rules import read_rules_data

    base = hand_written_part(read_rules_data(rules_path))
    return cross_validate(base, texts, labels, k=k, seed=seed, level="group", **learn_kw)
