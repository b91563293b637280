"""Per-request server CPU of this checkout against another one, measured side by side.

``python bench/compare.py --base /path/to/other/checkout`` starts the webhook of both checkouts (each
with its own ``.venv`` if it has one) on fresh SQLite databases and drives them with this checkout's
load generator in alternating rounds, so that whatever else the machine does hits both alike. It
prints, per scenario, the median server CPU per request (ms) of each side and their ratio — the
figure the issues' "per-request CPU does not rise by more than N %" limits refer to.

Scenarios: ``start`` (a new citizen's first message: the report flow's entry) and ``mix`` (the
mixed conversation of bench/loadgen.py), both plaintext. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run as bench  # bench/run.py: the same service environment and load generator as the full bench

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def python_of(checkout: Path) -> str:
    venv = checkout / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def start(name: str, checkout: Path, tmp: Path) -> bench.Server:
    db = tmp / f"{name}.db"
    url = f"sqlite+aiosqlite:///{db}"
    # Each side's schema comes from its own models.
    bench.prepare_database(url, python_of(checkout), checkout)
    port = bench.free_port()
    log = tmp / f"{name}.log"
    env = bench.service_env(url, tmp / name)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [python_of(checkout), "-m", "bot.cli", "serve", "--only", "webhook", "--host", "127.0.0.1",
         "--port", str(port), "--no-migrate"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=checkout, env=env)
    server = bench.Server(name, port, proc, log=log)
    try:
        server.ready_s = bench.wait_ready(proc, port, started)
    except RuntimeError:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    return server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--base", required=True, type=Path, help="the other checkout (the baseline)")
    ap.add_argument("--this", type=Path, default=REPO, help="the checkout measured (default: this one)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds per run")
    ap.add_argument("--scenario", action="append", choices=("start", "mix"), help="default: both")
    args = ap.parse_args()
    scenarios = args.scenario or ["start", "mix"]
    with tempfile.TemporaryDirectory(prefix="xinfang-compare-") as tmpdir:
        tmp = Path(tmpdir)
        sides = {"base": start("base", args.base.resolve(), tmp), "this": start("this", args.this.resolve(), tmp)}
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) >= 2:
            # Servers on one core, the load generator (a child of this process) on another: the
            # scheduler moving them around was most of the spread between runs of the same code.
            for server in sides.values():
                os.sched_setaffinity(server.proc.pid, {cpus[-1]})
            os.sched_setaffinity(0, set(cpus[:-1]))
        try:
            # One unrecorded run each first: start-up work that ends after /healthz answers (jieba's
            # dictionary loads on a thread) would otherwise be billed to the first round.
            for side, server in sides.items():
                bench.loadgen([server], label=f"{side} warm-up", duration=args.seconds,
                              requests=int(8_000 * args.seconds))
            per: dict[tuple[str, str], list[float]] = {}
            for r in range(args.rounds):
                for scenario in scenarios:
                    # Alternate which side goes first so a drifting background favours neither.
                    order = ("base", "this") if r % 2 == 0 else ("this", "base")
                    for side in order:
                        out = bench.loadgen([sides[side]], label=f"{side} {scenario} #{r + 1}",
                                            scenario=scenario, duration=args.seconds,
                                            requests=int(8_000 * args.seconds))
                        if out.get("server_cpu") and out["throughput_rps"]:
                            per.setdefault((scenario, side), []).append(
                                1000 * out["server_cpu"] / out["throughput_rps"])
        finally:
            for name in sides:
                wal = tmp / f"{name}.db-wal"
                print(f"  {name}: database {(tmp / f'{name}.db').stat().st_size >> 20} MiB, "
                      f"WAL {wal.stat().st_size >> 20 if wal.exists() else 0} MiB", file=sys.stderr)
            for server in sides.values():
                server.stop()
    # Two figures: the ratio of the medians, and the median of each round's own ratio (the two runs
    # of a round are back to back, so a machine that speeds up or slows down between rounds cancels).
    print(f"{'scenario':<8} {'base ms/req':>12} {'this ms/req':>12} {'ratio':>7} {'paired':>7}")
    for scenario in scenarios:
        base = statistics.median(per[(scenario, "base")])
        this = statistics.median(per[(scenario, "this")])
        paired = statistics.median(t / b for t, b in zip(per[(scenario, "this")], per[(scenario, "base")], strict=False))
        print(f"{scenario:<8} {base:>12.3f} {this:>12.3f} {this / base:>7.3f} {paired:>7.3f}   runs: base "
              + " ".join(f"{v:.3f}" for v in per[(scenario, "base")]) + " | this "
              + " ".join(f"{v:.3f}" for v in per[(scenario, "this")]))


if __name__ == "__main__":
    main()
