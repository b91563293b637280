"""Learning keyword weights from labelled messages, for a person to review.

The model is a multinomial logistic regression whose features are exactly
what the Categoriser computes at run time: how often each keyword occurs in
the normalised message (Aho-Corasick substring match, occurrences in the
first characters counted double, see `nlp.categorise.keyword_counts`), the
counts divided by their Euclidean norm. Candidate keywords are character 1-3
grams of the Chinese text seen in at least `min_df` messages (optionally also
jieba words). Training scales features by idf so rare keywords are not
over-penalised by the l2 term; the idf is folded into the shipped weights, so
the rules file needs nothing but keyword: weight. After a first fit only the
strongest `top_k` keywords per class are kept and the model is refitted on
those alone with weights held non-negative, so every keyword reads as
"evidence for" its classes. The result is a YAML fragment (`nlp.merge` folds
it into a rules file) of keywords and weights only -- never message text.

numpy is needed here (and only here); categorising does not use it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import ahocorasick

from nlp.categorise import keyword_counts
from nlp.normalize import match_form

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
NGRAMS = (1, 2, 3)


@dataclass
class LearnedModel:
    classes: list[str]
    bias: dict[str, float]
    keywords: dict[str, dict[str, float]]  # class -> keyword -> weight (> 0)


def candidate_keywords(text: str, word_fn: Callable[[str], Iterable[str]] | None = None) -> set[str]:
    """Character 1-3 grams of the Chinese runs of a message, plus (with word_fn) jieba words of 2-6 characters."""
    out: set[str] = set()
    t = match_form(text)
    for run in _CJK_RUN.findall(t):
        for n in NGRAMS:
            out.update(run[i : i + n] for i in range(len(run) - n + 1))
    if word_fn is not None:
        out.update(w for w in word_fn(t) if 2 <= len(w) <= 6 and _CJK_RUN.fullmatch(w))
    return out


def build_vocab(
    texts: Sequence[str], min_df: int = 2, max_features: int = 40000, words: bool = True
) -> list[str]:
    """Candidate keywords seen in at least `min_df` messages, most frequent first."""
    word_fn = None
    if words:
        from nlp import segment

        word_fn = segment.words
    df: Counter[str] = Counter()
    for t in texts:
        df.update(candidate_keywords(t, word_fn))
    kept = [(k, n) for k, n in df.items() if n >= min_df]
    kept.sort(key=lambda kv: (-kv[1], kv[0]))
    return [k for k, _ in kept[:max_features]]


def featurize(texts: Sequence[str], vocab: Sequence[str]) -> list[dict[int, int]]:
    """For each message, {keyword id: weighted count}, counted exactly as the Categoriser does."""
    auto = ahocorasick.Automaton()
    for i, k in enumerate(vocab):
        auto.add_word(k, i)
    auto.make_automaton()
    return [keyword_counts(auto, match_form(t)) for t in texts]


class _Sparse:
    """Rows scaled by 1/sqrt(sum of squared counts) -- the Categoriser's normalisation --
    and, for training only, by `scale` (idf) so rare keywords are not over-penalised by l2.
    Kept as coordinate arrays: a dense matrix of 70k candidate keywords is needlessly slow."""

    def __init__(self, rows: Sequence[dict[int, int]], n_features: int, scale=None):
        import numpy as np

        self.n_rows, self.n_features = len(rows), n_features
        lengths = [len(r) for r in rows]
        self.row = np.repeat(np.arange(len(rows)), lengths)
        self.col = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=sum(lengths))
        val = np.fromiter((c for r in rows for c in r.values()), dtype=np.float64, count=sum(lengths))
        norms = np.sqrt(np.bincount(self.row, weights=val * val, minlength=len(rows)))
        val = val / np.maximum(norms[self.row], 1e-12)
        if scale is not None:
            val = val * np.asarray(scale)[self.col]
        self.val = val

    def dot(self, W):
        import numpy as np

        out = np.zeros((self.n_rows, W.shape[1]))
        contrib = self.val[:, None] * W[self.col]
        for k in range(W.shape[1]):
            out[:, k] = np.bincount(self.row, weights=contrib[:, k], minlength=self.n_rows)
        return out

    def tdot(self, G):
        import numpy as np

        out = np.zeros((self.n_features, G.shape[1]))
        for k in range(G.shape[1]):
            out[:, k] = np.bincount(self.col, weights=self.val * G[self.row, k], minlength=self.n_features)
        return out


def fit_softmax(
    rows: Sequence[dict[int, int]],
    y: Sequence[int],
    n_features: int,
    n_classes: int,
    scale=None,
    l2: float = 1e-5,
    epochs: int = 200,
    lr: float = 0.05,
    nonneg: bool = False,
    progress: Callable[[int], None] | None = None,
):
    """Full-batch Adam on mean cross-entropy + l2/2 |W|^2. Returns (W, b) with W
    [features x classes] already multiplied by `scale`, i.e. weights on the
    Categoriser's normalised counts."""
    import numpy as np

    X = _Sparse(rows, n_features, scale)
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), list(y)] = 1.0
    W = np.zeros((n_features, n_classes))
    b = np.log(Y.mean(axis=0) + 1e-6)
    mW = np.zeros_like(W)
    vW = np.zeros_like(W)
    b1, b2, eps = 0.9, 0.999, 1e-8
    n = float(len(y))
    for t in range(1, epochs + 1):
        Z = X.dot(W) + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        G = (P - Y) / n
        gW = X.tdot(G) + l2 * W
        b -= 0.1 * G.sum(axis=0)
        mW = b1 * mW + (1 - b1) * gW
        vW = b2 * vW + (1 - b2) * gW * gW
        W -= lr * (mW / (1 - b1**t)) / (np.sqrt(vW / (1 - b2**t)) + eps)
        if nonneg:
            np.maximum(W, 0.0, out=W)
        if progress:
            progress(1)
    if scale is not None:
        W = W * np.asarray(scale)[:, None]
    return W, b


def _idf(rows: Sequence[dict[int, int]], n_features: int):
    import numpy as np

    df = np.zeros(n_features)
    for counts in rows:
        df[list(counts)] += 1
    return np.log((1 + len(rows)) / (1 + df)) + 1


def learn(
    texts: Sequence[str],
    labels: Sequence[str],
    top_k: int = 800,
    min_df: int = 3,
    l2: float = 1e-5,
    epochs: int = 200,
    min_weight: float = 0.02,
    words: bool = False,
    progress: bool = False,
) -> LearnedModel:
    """Fit keyword weights per class; see the module docstring for the procedure."""
    import numpy as np

    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    y = [index[lab] for lab in labels]
    vocab = build_vocab(texts, min_df=min_df, max_features=10**6, words=words)
    rows = featurize(texts, vocab)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=2 * epochs, desc="learn", unit="step", leave=False)
    tick = bar.update if bar else None
    W, _ = fit_softmax(
        rows, y, len(vocab), len(classes), _idf(rows, len(vocab)), l2=l2, epochs=epochs, progress=tick
    )
    # Softmax is unchanged by adding a constant to all of a feature's class weights;
    # measuring each weight above the feature's weakest class makes them comparable.
    Wp = W - W.min(axis=1, keepdims=True)
    keep: set[int] = set()
    for k in range(len(classes)):
        keep.update(int(i) for i in np.argsort(-Wp[:, k])[:top_k] if Wp[i, k] > 0)
    kept = sorted(keep)
    remap = {old: new for new, old in enumerate(kept)}
    rows2 = [{remap[i]: c for i, c in r.items() if i in remap} for r in rows]
    W2, b2 = fit_softmax(
        rows2,
        y,
        len(kept),
        len(classes),
        _idf(rows2, len(kept)),
        l2=l2,
        epochs=epochs,
        nonneg=True,
        progress=tick,
    )
    if bar:
        bar.close()
    keywords: dict[str, dict[str, float]] = {c: {} for c in classes}
    for new, old in enumerate(kept):
        for k, c in enumerate(classes):
            w = float(W2[new, k])
            if w >= min_weight:
                keywords[c][vocab[old]] = round(w, 3)
    for c in classes:
        keywords[c] = dict(sorted(keywords[c].items(), key=lambda kv: (-kv[1], kv[0])))
    bias = {c: round(float(b2[k]), 4) for k, c in enumerate(classes)}
    return LearnedModel(classes=classes, bias=bias, keywords=keywords)


def fragment(model: LearnedModel, texts: Sequence[str], labels: Sequence[str], level: str = "group") -> dict:
    """A reviewable YAML-ready fragment: per class bias, keywords with weights, their
    contribution on the training data, and keywords that weigh for several classes."""
    all_kw = sorted({k for kws in model.keywords.values() for k in kws})
    rows = featurize(texts, all_kw)
    docs_with: dict[str, Counter[str]] = {}
    contribution: dict[str, Counter[str]] = {c: Counter() for c in model.classes}
    for counts, lab in zip(rows, labels, strict=True):
        norm = math.sqrt(sum(c * c for c in counts.values())) or 1.0
        for i, c in counts.items():
            k = all_kw[i]
            docs_with.setdefault(k, Counter())[lab] += 1
            if lab in contribution:
                contribution[lab][k] += model.keywords.get(lab, {}).get(k, 0.0) * c / norm
    classes_out = {}
    for c in model.classes:
        kws = model.keywords[c]
        classes_out[c] = {
            "bias": model.bias[c],
            "keywords": kws,
            "review": [
                {
                    "keyword": k,
                    "weight": w,
                    "contribution": round(contribution[c][k], 3),
                    "messages_in_class": docs_with.get(k, Counter())[c],
                    "messages_elsewhere": sum(docs_with.get(k, Counter()).values())
                    - docs_with.get(k, Counter())[c],
                }
                # Largest total effect on the training messages first: what a reviewer
                # should check before anything else.
                for k, w in sorted(kws.items(), key=lambda kv: -contribution[c][kv[0]])[:30]
            ],
        }
    conflicts = []
    for k in all_kw:
        ws = {c: model.keywords[c][k] for c in model.classes if k in model.keywords[c]}
        if len(ws) > 1:
            conflicts.append({"keyword": k, "weights": ws})
    conflicts.sort(key=lambda d: -sum(d["weights"].values()))
    return {
        "fragment": "learned-keywords",
        "level": level,
        "trained_on": {"messages": len(texts), "per_class": dict(Counter(labels))},
        "classes": classes_out,
        "conflicts": conflicts[:200],
    }
