"""Benchmark of nlp categorisation: cross-validated accuracy and throughput.

    .venv/bin/python bench/categorise_bench.py [/work/shared/data/complaints-dev.csv] [--no-cv]

Accuracy: 5-fold stratified CV (seed 0) of the shipped rules the way they are
built (nlp/build_default_rules.py): hand-written part of nlp/rules.yaml plus
group keywords learned on 4 folds, evaluated on the 5th. Throughput: the
shipped rules on all messages (long, as written) and on their first 60
characters (chat length), single process, after start-up. Start-up: a fresh
interpreter importing nlp and building the default Categoriser.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp import Categoriser, load_rules  # noqa: E402
from nlp.evaluate import cross_validate_rules, read_labelled_csv  # noqa: E402

DEFAULT_DATA = "/work/shared/data/complaints-dev.csv"


def throughput(cat: Categoriser, texts: list[str], min_seconds: float = 1.0) -> float:
    n, start = 0, time.perf_counter()
    while True:
        for t in texts:
            cat.categorise(t)
        n += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return n / elapsed


def startup_seconds() -> float:
    code = (
        "import time; t=time.perf_counter(); from nlp import Categoriser, load_rules; "
        "c=Categoriser(load_rules()); c.categorise('物业费太贵'); print(time.perf_counter()-t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return float(out.stdout.strip())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "data",
        nargs="?",
        default=DEFAULT_DATA,
        help="labelled CSV (text,label) or a directory holding complaints-dev.csv",
    )
    ap.add_argument("--no-cv", action="store_true", help="skip the cross-validation (about a minute)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    path = Path(args.data)
    if path.is_dir():
        path = path / "complaints-dev.csv"
    texts, labels = read_labelled_csv(path)
    result: dict = {"data": str(path), "messages": len(texts)}
    result["startup_s"] = round(startup_seconds(), 3)
    cat = Categoriser(load_rules())
    for t in texts:
        cat.categorise(t)  # warm up: jieba loads lazily at the first whole-word candidate
    short = [t[:60] for t in texts]
    result["median_chars"] = sorted(len(t) for t in texts)[len(texts) // 2]
    result["msg_per_s_long"] = round(throughput(cat, texts))
    result["msg_per_s_short60"] = round(throughput(cat, short))
    if not args.no_cv:
        start = time.perf_counter()
        cv = cross_validate_rules(None, texts, labels, k=5, seed=0)
        result["cv"] = {k: cv[k] for k in ("accuracy", "macro_f1", "per_class", "confusion")}
        result["cv_seconds"] = round(time.perf_counter() - start, 1)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"data: {result['data']} ({result['messages']} messages, median {result['median_chars']} chars)")
    print(f"start-up (import + default rules + Categoriser): {result['startup_s']:.2f} s")
    print(f"throughput, messages as written: {result['msg_per_s_long']} msg/s")
    print(f"throughput, first 60 characters: {result['msg_per_s_short60']} msg/s")
    if "cv" in result:
        cv = result["cv"]
        print(
            f"5-fold CV (learned part fitted on 4 folds): accuracy {cv['accuracy']:.4f}  macro-F1 {cv['macro_f1']:.4f}"
        )
        for c, pc in cv["per_class"].items():
            print(
                f"  {c:<8} P {pc['precision']:.3f}  R {pc['recall']:.3f}  F1 {pc['f1']:.3f}  n={pc['support']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
