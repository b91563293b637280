"""Rebuild the learned part of the packaged rules file from a labelled CSV.

    .venv/bin/python -m nlp.build_default_rules /work/shared/data/complaints-dev.csv [--cv]

Keeps the hand-written part of `nlp/rules.yaml` (categories, kinds, urgency
words ...), learns group keywords from all rows of the CSV with the default
`nlp.learn.learn` settings and merges them in -- the same as `xinfang rules
learn FILE.csv --out f.yaml` followed by `xinfang rules merge f.yaml`. Only
keywords and weights are written, never message text. With --cv it first
reports 5-fold cross-validated figures for exactly this procedure.
"""

from __future__ import annotations

import argparse
import json
import sys

from nlp.evaluate import cross_validate_rules, hand_written_part, read_labelled_csv
from nlp.learn import fragment, learn
from nlp.merge import dump_rules, merge_fragment
from nlp.rules import DEFAULT_RULES_PATH, read_rules_data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", help="labelled CSV with text,label columns (group labels)")
    ap.add_argument(
        "--rules", default=str(DEFAULT_RULES_PATH), help="rules file to read the hand-written part from"
    )
    ap.add_argument("--out", default=None, help="where to write (default: --rules)")
    ap.add_argument("--cv", action="store_true", help="report 5-fold cross-validation first")
    args = ap.parse_args(argv)
    texts, labels = read_labelled_csv(args.csv)
    if args.cv:
        report = cross_validate_rules(args.rules, texts, labels)
        print(
            json.dumps(
                {k: report[k] for k in ("accuracy", "macro_f1", "per_class")}, ensure_ascii=False, indent=1
            )
        )
    base = hand_written_part(read_rules_data(args.rules))
    model = learn(texts, labels, progress=sys.stderr.isatty())
    merged = merge_fragment(base, fragment(model, [], [], level="group"))
    out = args.out or args.rules
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(dump_rules(merged))
    print(f"wrote {out}: {sum(len(v) for v in model.keywords.values())} learned keywords", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
