"""Profile the webhook under load: ``python bench/profile.py [--db sqlite|postgres] [--seconds 10]``.

Starts one ``serve --only webhook`` worker exactly as bench/run.py does, attaches py-spy (install it
into the venv: ``.venv/bin/pip install py-spy``) for the timed part of a closed-loop run of the
load generator, and prints the functions that hold the most samples, by own time and by total
time, with a speedscope file and a raw collapsed-stack file under bench/results/ for a closer look.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the sibling driver: same settings, same server start-up)


def summarise(collapsed: Path, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        samples += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    lines = [f"{samples} samples"]
    for title, counter in (("own time", own), ("total time (inclusive)", total)):
        lines.append(f"\n-- top {top} by {title} --")
        for frame, n in counter.most_common(top):
            lines.append(f"{100 * n / max(samples, 1):5.1f}%  {frame[:150]}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="py-spy profile of the webhook under load")
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--scenario", choices=("start", "mix"), default="start")
    ap.add_argument("--mode", choices=("plain", "aes"), default="plain")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--variant", default="", help="comma-separated patches from bench/variants.py")
    ap.add_argument("--idle", action="store_true", help="include idle (waiting) samples")
    args = ap.parse_args()
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not spy:
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    tmp = bench.BENCH / "results" / f"tmp-profile-{stamp}"
    tmp.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    else:
        if not bench.create_pg_database():
            raise SystemExit("PostgreSQL unavailable")
        url = bench.PG_URL
    bench.prepare_database(url)
    server = bench.start_service("profiled", url, tmp, args.variant)
    try:
        # Warm up outside the profile, then sample only the timed load.
        bench.loadgen([server], label="warm-up", scenario=args.scenario, mode=args.mode, duration=2.0,
                      requests=20_000)
        collapsed = tmp / "profile.collapsed"
        cmd = [spy, "record", "--pid", str(server.proc.pid), "--rate", "200", "--format", "raw",
               "--output", str(collapsed), "--duration", str(int(args.seconds) + 2), "--nonblocking"]
        if args.idle:
            cmd.append("--idle")
        spy_proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)
        bench.loadgen([server], label="profiled", scenario=args.scenario, mode=args.mode,
                      duration=args.seconds, requests=50_000, warmup=0)
        spy_proc.wait(timeout=args.seconds + 30)
        print(summarise(collapsed, args.top))
        print(f"\ncollapsed stacks: {collapsed.relative_to(bench.REPO)}", file=sys.stderr)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
