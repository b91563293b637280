"""Similarity of two messages, for repeat petitions (重信重访) and group risk.

Character bigrams suit Chinese without segmentation: two citizens describing
the same blocked road share many bigrams even when their wording differs.
"""

from __future__ import annotations

import math
import re
import zlib
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


# ---- an index-friendly signature: the bottom-k sketch of a text's bigrams -------------------------
# Group risk looks for similar reports among a whole day's cases. Comparing every pair's bigrams
# costs O(cases); instead each case keeps the SKETCH_SIZE smallest hashes of its distinct bigrams
# (a bottom-k MinHash sketch) in an indexed table, and a new case looks up the cases whose sketch
# contains any of its bigram hashes. Two texts with cosine similarity s share, in expectation, about
# s * sqrt(a * b) * min(1, k / b) of those entries (a, b: distinct bigram counts; b the stored
# side), so a generous fraction of that number separates candidates from unrelated reports, and the
# exact ``cosine`` then decides among the few candidates.
SKETCH_SIZE = 64
# The candidate bar is this fraction of the expected shared entries at the similarity threshold:
# chance variation of a bottom-k sample stays well above it (see tests/nlp for the recall check).
SKETCH_SAFETY = 0.5


def bigram_hashes(counts: Counter[str]) -> list[int]:
    """Stable 32-bit signed hashes (CRC-32, the same in every process) of the distinct bigrams of a
    ``bigrams`` result, sorted ascending."""
    return sorted({zlib.crc32(g.encode("utf-8")) - 2**31 for g in counts})


def sketch(hashes: list[int], size: int = SKETCH_SIZE) -> list[int]:
    """The bottom-``size`` sketch of sorted ``bigram_hashes``."""
    return hashes[:size]


def shared_needed(mine: int, theirs: int, threshold: float, size: int = SKETCH_SIZE) -> float:
    """How many of ``theirs``' sketch entries a text with ``mine`` distinct bigrams must share with it to
    be a candidate at cosine ``threshold`` (``theirs`` is the stored text's distinct bigram count)."""
    expected = threshold * math.sqrt(mine * theirs) * min(1.0, size / theirs) if theirs else 0.0
    return max(1.0, SKETCH_SAFETY * expected)


def shared_factor(threshold: float) -> float:
    """c in ``shared_needed``² = c * a * b * min(1, k/b)², for a database to apply the same bar."""
    return (SKETCH_SAFETY * threshold) ** 2


def min_shared(mine: int, threshold: float, size: int = SKETCH_SIZE) -> int:
    """A floor of ``shared_needed`` over every stored length that can still reach ``threshold``
    (cosine >= t needs b >= t² a and b <= a / t²), for the SQL ``HAVING`` that trims the long tail."""
    if mine <= 0:
        return 1
    lowest = min(shared_needed(mine, max(1, int(threshold * threshold * mine)), threshold, size),
                 shared_needed(mine, max(1, int(mine / (threshold * threshold))), threshold, size),
                 shared_needed(mine, min(size, mine), threshold, size))
    return max(1, int(lowest))
