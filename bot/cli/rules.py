"""`xinfang rules ...`: classify messages, evaluate, learn and merge categorisation rules.

A thin shell over `nlp`: parsing arguments, reading files and printing; every
decision is made by the nlp package.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

MAX_LINE_CHARS = 5000


def configured_rules_path(path: str | None) -> str | None:
    """``--rules`` if given, else the configured rules file (``XINFANG_RULES_FILE``), else None
    (the packaged default) — the same file the service categorises with."""
    if path:
        return path
    from bot.settings import Settings

    configured = Settings().rules_file
    return str(configured) if configured else None


def _rules(path: str | None):
    from nlp.rules import RulesError, load_rules

    try:
        return load_rules(configured_rules_path(path))
    except (RulesError, OSError) as exc:
        raise click.ClickException(f"cannot load rules: {exc}") from None


rules_option = click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Rules file (default: XINFANG_RULES_FILE, else the packaged nlp/rules.yaml).",
)


@click.group("rules")
def rules() -> None:
    """Categorisation rules: classify, eval, learn, merge."""


@rules.command("classify")
@click.argument("source", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@rules_option
def classify(source: str, rules_path: str | None) -> None:
    """One message per line in (FILE or - for stdin), one JSON object per line out."""
    from nlp.categorise import Categoriser

    cat = Categoriser(_rules(rules_path))
    stream = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    out = sys.stdout
    try:
        for raw in stream:
            out.write(json.dumps(_classify_line(cat, raw), ensure_ascii=False) + "\n")
    finally:
        if source != "-":
            stream.close()


def _classify_line(cat, raw: bytes) -> dict:
    line = raw.rstrip(b"\r\n")
    result: dict = {}
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("utf-8", errors="replace")
        result["error"] = "invalid UTF-8 (undecodable bytes replaced)"
    if "\x00" in text:
        text = text.replace("\x00", " ")
        result.setdefault("error", "binary data in line")
    if len(text) > MAX_LINE_CHARS:
        # A pasted document: the subject is at its start, and scoring it all would
        # let one line stall the stream.
        text = text[:MAX_LINE_CHARS]
        result.setdefault("warning", f"line longer than {MAX_LINE_CHARS} characters; only its start was read")
    try:
        decision = cat.categorise(text).as_dict()
    except Exception as exc:  # one bad line must not cost the caller every following line
        rules = cat.rules
        decision = {
            "category": "其他",
            "group": "其他",
            "department": rules.triage_department,
            "score": 0.0,
            "keywords": [],
            "urgent": [],
            "kind": rules.default_kind,
            "deadlines": {},
            "reason": "分类出错，转分流窗口",
            "alarm": "",
            "separation": None,
        }
        result["error"] = f"{type(exc).__name__}: {exc}"
    return {**decision, **result}


def _read_csv(path: str):
    from nlp.evaluate import DataError, read_labelled_csv

    try:
        return read_labelled_csv(path)
    except (DataError, OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from None


@rules.command("eval")
@click.argument("csv_path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--level", type=click.Choice(["group", "category"]), default="group", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@rules_option
def eval_(csv_path: str, level: str, as_json: bool, rules_path: str | None) -> None:
    """Accuracy, macro-F1, per-class precision/recall and confusion matrix on a text,label CSV."""
    from nlp.categorise import Categoriser
    from nlp.evaluate import evaluate

    texts, labels = _read_csv(csv_path)
    report = evaluate(Categoriser(_rules(rules_path)), texts, labels, level=level)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(format_report(report))


def format_report(report: dict) -> str:
    lines = [
        f"level: {report['level']}   messages: {report['n']}",
        f"accuracy: {report['accuracy']:.4f}   macro-F1: {report['macro_f1']:.4f}",
    ]
    if report.get("msg_per_s"):
        lines.append(f"throughput: {report['msg_per_s']:.0f} msg/s")
    width = max(len(c) for c in report["labels"]) + 2
    lines.append("")
    lines.append(f"{'class':<{width}}  precision  recall  f1      support")
    for c in report["labels"]:
        pc = report["per_class"][c]
        lines.append(
            f"{c:<{width}}  {pc['precision']:.4f}     {pc['recall']:.4f}  {pc['f1']:.4f}  {pc['support']}"
        )
    lines.append("")
    lines.append("confusion (rows: label, columns: predicted, same order)")
    for g in report["labels"]:
        row = " ".join(f"{report['confusion'][g][p]:>5}" for p in report["labels"])
        lines.append(f"{g:<{width}} {row}")
    return "\n".join(lines)


@rules.command("learn")
@click.argument("csv_path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--level", type=click.Choice(["group", "category"]), default="group", show_default=True)
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False), default="-", help="Fragment file (default stdout)."
)
@click.option("--top-k", type=int, default=None, help="Keywords kept per class before refitting.")
@rules_option
def learn_cmd(csv_path: str, level: str, out_path: str, top_k: int | None, rules_path: str | None) -> None:
    """Fit keyword weights per class and write a reviewable YAML fragment."""
    import yaml

    from nlp.learn import fragment, learn

    texts, labels = _read_csv(csv_path)
    if len(set(labels)) < 2:
        raise click.ClickException("need at least two different labels to learn from")
    if level == "category":
        known = {c.name for c in _rules(rules_path).categories}
        unknown = sorted(set(labels) - known)
        if unknown:
            raise click.ClickException(
                f"labels that are not categories of the rules file: {', '.join(unknown)}"
            )
    kwargs = {"top_k": top_k} if top_k else {}
    start = time.perf_counter()
    model = learn(texts, labels, progress=len(texts) > 200 and sys.stderr.isatty(), **kwargs)
    frag = fragment(model, texts, labels, level=level)
    text = yaml.dump(frag, allow_unicode=True, sort_keys=False, width=1000)
    if out_path == "-":
        click.echo(text)
    else:
        Path(out_path).write_text(text, encoding="utf-8")
        n = sum(len(k) for k in model.keywords.values())
        click.echo(
            f"wrote {out_path}: {len(model.classes)} classes, {n} keywords ({time.perf_counter() - start:.1f}s)",
            err=True,
        )


@rules.command("merge")
@click.argument("fragment_path", metavar="FRAGMENT.yaml", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Output (default: overwrite --rules / XINFANG_RULES_FILE; never the installed package).",
)
@rules_option
def merge_cmd(fragment_path: str, out_path: str | None, rules_path: str | None) -> None:
    """Fold a reviewed learn fragment into the rules file (comments and layout are kept)."""
    from nlp.merge import merge_files
    from nlp.rules import DEFAULT_RULES_PATH, RulesError, clear_cache

    rules_path = configured_rules_path(rules_path)
    target = out_path or rules_path
    if target is None:
        raise click.ClickException(
            "规则文件未指定：请用 --rules 或 XINFANG_RULES_FILE 指向你们自己的规则文件（或用 --out 另存）。"
            f"不会写入安装目录里的 {DEFAULT_RULES_PATH}：升级时会被覆盖。")
    if Path(target).resolve().parent == DEFAULT_RULES_PATH.resolve().parent:
        raise click.ClickException(
            f"拒绝写入安装目录 {Path(target).resolve().parent}：升级时会被覆盖。"
            "请先复制一份（如 /etc/xinfang/rules.yaml），用 --rules 或 XINFANG_RULES_FILE 指向它。")
    try:
        merged = merge_files(fragment_path, rules_path, target)
    except (RulesError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    clear_cache()
    n = sum(len((g or {}).get("keywords") or {}) for g in (merged.get("groups") or {}).values())
    click.echo(f"wrote {target} ({n} learned group keywords)")
