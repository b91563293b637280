"""Similarity of two messages, for repeat petitions (重信重访) and group risk.

Character bigrams suit Chinese without segmentation: two citizens describing
the same blocked road share many bigrams even when their wording differs.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from nlp.normalize import match_form

# Punctuation and spaces would make bigrams like "，我" that say nothing about the topic.
_NOISE = re.compile(r"[\s\W_]+")


def bigrams(text: str) -> Counter[str]:
    """Character-bigram counts of normalised ``text``: compute once, compare with ``cosine``."""
    t = _NOISE.sub("", match_form(text or ""))
    if len(t) == 1:
        return Counter([t])
    return Counter(t[i : i + 2] for i in range(len(t) - 1))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of character-bigram counts over normalised text, in [0, 1]."""
    return cosine(bigrams(a), bigrams(b))


def cosine(ca: Counter[str], cb: Counter[str]) -> float:
    """Cosine similarity of two ``bigrams`` results, in [0, 1]."""
    if not ca or not cb:
        return 0.0
    if len(ca) > len(cb):
        ca, cb = cb, ca
    dot = sum(n * cb.get(g, 0) for g, n in ca.items())
    if not dot:
        return 0.0
    na = math.sqrt(sum(n * n for n in ca.values()))
    nb = math.sqrt(sum(n * n for n in cb.values()))
    return min(1.0, dot / (na * nb))
