"""The group-risk index's candidate rule keeps every pair the exact comparison would call similar."""

import random

from nlp.similarity import bigram_hashes, bigrams, cosine, min_shared, shared_needed, sketch
from tests.nlp.sentences import SENTENCES

THRESHOLD = 0.35
ALL = [s for group in SENTENCES.values() for s in group]


def _paraphrase(rng: random.Random, text: str) -> str:
    out = []
    for ch in text:
        r = rng.random()
        if r < 0.15:
            continue
        out.append(rng.choice("的了是在有我们这个") if r < 0.3 else ch)
    return "".join(out)


def _candidate(a: str, b: str) -> bool:
    """What the index lookup decides for a new text ``a`` against a stored text ``b``."""
    mine = bigram_hashes(bigrams(a))
    theirs = bigram_hashes(bigrams(b))
    shared = len(set(mine) & set(sketch(theirs)))
    return shared >= min_shared(len(mine), THRESHOLD) and shared >= shared_needed(len(mine), len(theirs), THRESHOLD)


def test_every_similar_pair_is_a_candidate_short_and_long() -> None:
    rng = random.Random(20)
    pairs = [("幸福小区门口的主干道修路封了两个月，施工围挡一直不拆，居民出行非常困难",
              "幸福小区门口主干道修路封了两个月了，围挡一直不拆，出行非常困难")]
    for _ in range(300):
        long_text = "".join(rng.sample(ALL, rng.choice((1, 3, 8, 20))))
        pairs.append((long_text, _paraphrase(rng, long_text)))
        # Partly the same matter: a shared passage inside different surroundings.
        cut = long_text[: max(10, len(long_text) // 2)]
        pairs.append(("".join(rng.sample(ALL, 2)) + cut, long_text))
    similar = [(a, b) for a, b in pairs if cosine(bigrams(a), bigrams(b)) >= THRESHOLD]
    assert len(similar) > 300
    missed = [(a, b) for a, b in similar if not (_candidate(a, b) and _candidate(b, a))]
    assert missed == []


def test_unrelated_long_reports_are_mostly_not_candidates() -> None:
    rng = random.Random(7)
    texts = ["".join(rng.sample(ALL, 10)) for _ in range(200)]
    unrelated = [(a, b) for a, b in zip(texts, texts[1:], strict=False)
                 if cosine(bigrams(a), bigrams(b)) < 0.2]
    candidates = sum(_candidate(a, b) for a, b in unrelated)
    assert candidates <= len(unrelated) * 0.2, (candidates, len(unrelated))
