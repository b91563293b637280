"""One command for the whole benchmark: ``python bench/run.py`` (about 3 minutes; ``--quick`` ~1 minute).

It starts the floor (bench/floor.py) and the real service (``python -m bot.cli serve --only webhook``)
as subprocesses and drives both with the same load generator (bench/loadgen.py, its own process),
alternating floor and service in short rounds so that whatever else the machine is doing hits both
alike. Then: the mixed conversation load, an open-loop run at half the measured maximum for
latency, one vs two workers on PostgreSQL, ``categorise()`` on one core, start-up time to
``/healthz`` and peak RSS per worker. Results go to ``bench/results/<timestamp>.json``; a Markdown
table is printed.

Two PostgreSQL workers listen on two ports and the load generator splits its connections between
them (connection k goes to port k mod 2): ``xinfang serve`` has no SO_REUSEPORT option, and with a
2-core machine the kernel's reuse-port hashing of 32 connections gives the same split anyway.

All traffic goes to 127.0.0.1; every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PY = sys.executable
TOKEN = "benchtoken2026"
APPID = "wx00bench00000001"
AES_KEY = base64.b64encode(bytes(range(32))).decode()[:43]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "xinfang_bench"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
CONCURRENCY = 32

TARGETS = {"ratio": 0.30, "p99_ms": 50.0, "pg_scale": 1.5, "categorise": 5000.0, "ready_s": 2.0, "rss_mb": 200.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    ready_s: float = 0.0
    log: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/wechat"

    def peak_rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def wait_ready(proc: subprocess.Popen[bytes], port: int, started: float, timeout: float = 60.0) -> float:
    url = f"http://127.0.0.1:{port}/healthz"
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"server on port {port} not ready after {timeout}s")


def start_floor(tmp: Path) -> Server:
    port = free_port()
    log = tmp / "floor.log"
    started = time.perf_counter()
    proc = subprocess.Popen([PY, str(BENCH / "floor.py"), "--port", str(port), "--token", TOKEN],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO)
    server = Server("floor", port, proc, log=log)
    server.ready_s = wait_ready(proc, port, started)
    return server


def service_env(db_url: str, tmp: Path) -> dict[str, str]:
    # Only the rules file may come from outside (to benchmark a deployment's own rules).
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_") or k == "XINFANG_RULES_FILE"}
    env.update({
        "XINFANG_WECHAT_TOKEN": TOKEN,
        "XINFANG_WECHAT_APPID": APPID,
        "XINFANG_WECHAT_SECRET": "benchsecret",
        "XINFANG_WECHAT_AES_KEY": AES_KEY,
        # Compatible mode: the same worker is measured in plaintext and in safe mode (without it
        # a worker with an AES key refuses plaintext with 403).
        "XINFANG_WECHAT_COMPAT_MODE": "true",
        "XINFANG_DATABASE_URL": db_url,
        # The webhook path never calls the API; an unused local port keeps any stray call local.
        "XINFANG_WECHAT_API_BASE": f"http://127.0.0.1:{free_port()}",
        "XINFANG_MEDIA_DIR": str(tmp / "media"),
        # The load replays many reports per simulated citizen: no per-hour cap, as in earlier runs.
        "XINFANG_MAX_CASES_PER_HOUR": "0",
        "XINFANG_CONFIG": str(tmp / "no-config.toml"),
    })
    return env


def start_service(name: str, db_url: str, tmp: Path, variants: str = "", extra: tuple[str, ...] = ()) -> Server:
    port = free_port()
    log = tmp / f"{name}.log"
    env = service_env(db_url, tmp)
    # Proposed changes to others' files are measured through bench/variants.py, never by editing them.
    entry = [str(BENCH / "variants.py")] if variants else ["-m", "bot.cli"]
    env["BENCH_VARIANTS"] = variants
    started = time.perf_counter()
    proc = subprocess.Popen(
        [PY, *entry, "serve", "--only", "webhook", "--host", "127.0.0.1", "--port", str(port), *extra],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO, env=env)
    server = Server(name, port, proc, log=log)
    try:
        server.ready_s = wait_ready(proc, port, started)
    except RuntimeError:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    return server


def prepare_database(url: str, python: str = PY, checkout: Path = REPO) -> None:
    """Fresh schema from the models, stamped at the migration head so ``serve`` finds nothing to do.

    ``python`` and ``checkout``: another checkout's schema, for bench/compare.py."""
    code = f"""
import asyncio, sys
sys.path.insert(0, {str(checkout)!r})
import storage.models
from storage.base import Base
from storage.engine import make_engine
from storage import migrate
from alembic import command

async def main():
    engine = make_engine({url!r})
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()

asyncio.run(main())
command.stamp(migrate.alembic_config({url!r}), "head")
"""
    subprocess.run([python, "-c", code], check=True, cwd=checkout, timeout=120)


def create_pg_database() -> bool:
    code = f"""
import asyncio, asyncpg
async def main():
    conn = await asyncpg.connect({PG_ADMIN!r}, timeout=5)
    await conn.execute('DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)')
    await conn.execute('CREATE DATABASE {PG_DB}')
    await conn.close()
asyncio.run(main())
"""
    result = subprocess.run([PY, "-c", code], cwd=REPO, timeout=60, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"PostgreSQL unavailable, skipping: {result.stderr.strip()[-300:]}", file=sys.stderr)
    return result.returncode == 0


def loadgen(servers: list[Server], *, label: str, scenario: str = "start", mode: str = "plain", duration: float,
            rate: float = 0.0, requests: int = 0, floor: bool = False, warmup: float = 0.5,
            ) -> dict[str, Any]:
    cmd = [PY, str(BENCH / "loadgen.py"), "--token", TOKEN, "--appid", APPID, "--aes-key", AES_KEY,
           "--scenario", scenario, "--mode", mode, "--duration", str(duration), "--warmup", str(warmup),
           "--concurrency", str(CONCURRENCY), "--label", label]
    for server in servers:
        cmd += ["--url", server.url, "--server-pid", str(server.proc.pid)]
    if rate:
        cmd += ["--rate", str(rate)]
    if requests:
        cmd += ["--requests", str(requests)]
    if floor:
        cmd.append("--allow-silence")
    before = cpu_times()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120, cwd=REPO)
    after = cpu_times()
    if result.returncode != 0:
        raise RuntimeError(f"load generator failed: {result.stderr[-2000:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # Whole-machine CPU use over the run (warm-up and request building included): saturated or not.
    total = sum(after) - sum(before)
    out["machine_busy"] = round(1 - (after[3] + after[4] - before[3] - before[4]) / total, 3) if total else 0.0
    lat = out["latency_ms"]
    print(f"  {label:<28} {out['throughput_rps']:>8.1f} req/s  p50 {lat['p50']:>7.2f}  p99 {lat['p99']:>7.2f} ms"
          f"  err {out['errors']}  invalid {out['invalid']}  cpu client {out['client_cpu']}"
          f" server {out.get('server_cpu', '-')}", file=sys.stderr)
    for sample in out["invalid_samples"][:2] + out["error_samples"][:2]:
        print(f"      ! {sample}", file=sys.stderr)
    return out


def cpu_times() -> list[int]:
    """The machine's CPU time counters (user, nice, system, idle, iowait, …) from /proc/stat."""
    try:
        return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return [0] * 8


def categorise_rate(seconds: float) -> dict[str, Any]:
    code = f"""
import json, os, sys, time
sys.path.insert(0, {str(REPO)!r})
os.sched_setaffinity(0, {{0}})  # one core, whatever the machine has
t0 = time.perf_counter()
try:
    from nlp import Categoriser, load_rules
except ImportError:
    from nlp.categorise import Categoriser
    from nlp.rules import load_rules
cat = Categoriser(load_rules(os.environ.get("XINFANG_RULES_FILE")))
cat.categorise("小区楼下的烧烤摊每天营业到凌晨两点")  # loads jieba and the automaton
load_s = time.perf_counter() - t0
texts = [l.strip() for l in open({str(BENCH / 'texts.txt')!r}, encoding='utf-8') if l.strip() and not l.startswith('#')]
# Vary every text so that no cache keyed on the exact string can flatter the figure.
texts = [t + "，" + str(i) for i in range(40) for t in texts]
n = 0
t0 = time.perf_counter()
while time.perf_counter() - t0 < {seconds} and n < 2_000_000:
    for t in texts[n % len(texts):n % len(texts) + 200]:
        cat.categorise(t)
    n += 200
el = time.perf_counter() - t0
print(json.dumps({{"messages": n, "seconds": round(el, 3), "per_second": round(n / el, 1), "load_s": round(load_s, 3)}}))
"""
    result = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=seconds + 120, cwd=REPO)
    if result.returncode != 0:
        return {"error": result.stderr[-500:], "per_second": 0.0}
    return json.loads(result.stdout.strip().splitlines()[-1])


def alternate(pairs: list[tuple[str, list[Server], dict[str, Any]]], rounds: int) -> dict[str, list[dict[str, Any]]]:
    """Run each (label, urls, kwargs) once per round, interleaved, so background load hits all alike."""
    out: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in pairs}
    for r in range(rounds):
        for label, servers, kwargs in pairs:
            out[label].append(loadgen(servers, label=f"{label} #{r + 1}", **kwargs))
    return out


def cpu_ms_per_request(runs: list[dict[str, Any]]) -> float:
    """Server CPU per request (ms): unlike throughput, barely moved by other load on the machine."""
    values = [1000 * r["server_cpu"] / r["throughput_rps"] for r in runs if r.get("server_cpu") and r["throughput_rps"]]
    return round(statistics.median(values), 3) if values else 0.0


def median_rps(runs: list[dict[str, Any]]) -> float:
    return round(statistics.median(r["throughput_rps"] for r in runs), 1)


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=REPO, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def main() -> None:
    ap = argparse.ArgumentParser(description="webhook benchmark: floor vs service, SQLite and PostgreSQL")
    ap.add_argument("--quick", action="store_true", help="shorter runs (~1 minute)")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--variant", default="", help="measure proposed changes: patches from bench/variants.py")
    args = ap.parse_args()
    d = 2.0 if args.quick else 5.0  # seconds per timed run
    rounds = 1 if args.quick else 3
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    tmp = BENCH / "results" / f"tmp-{stamp}"
    tmp.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    load_before = os.getloadavg()
    servers: list[Server] = []
    runs: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    try:
        print("SQLite, 1 worker, vs the floor", file=sys.stderr)
        sqlite_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        prepare_database(sqlite_url)
        floor = start_floor(tmp)
        servers.append(floor)
        svc = start_service("sqlite-1", sqlite_url, tmp, args.variant)
        servers.append(svc)
        summary["ready_s"] = round(svc.ready_s, 3)
        # The same start without the migration check (how extra workers start once `db upgrade` ran).
        bare = start_service("sqlite-no-migrate", sqlite_url, tmp, args.variant, ("--no-migrate",))
        summary["ready_s_no_migrate"] = round(bare.ready_s, 3)
        bare.stop()
        # Service runs consume what they are given; sized so they never run dry within d seconds.
        svc_req = int(8_000 * d)
        # Ceilings: the same service with parts of its work patched out (bench/variants.py).
        ceilings = {name: start_service(f"ceiling-{name}", sqlite_url, tmp, ",".join(filter(None, (args.variant, name))))
                    for name in ("no_process", "categorise_only")}
        servers.extend(ceilings.values())
        ab = alternate([
            ("floor start plain", [floor], {"duration": d, "floor": True}),
            ("service start plain", [svc], {"duration": d, "requests": svc_req}),
            ("floor start aes", [floor], {"duration": d, "floor": True, "mode": "aes",
                                              "requests": int(6_000 * d)}),
            ("service start aes", [svc], {"duration": d, "mode": "aes", "requests": svc_req}),
            ("ceiling no_process", [ceilings["no_process"]], {"duration": d, "requests": int(20_000 * d)}),
            ("ceiling categorise_only", [ceilings["categorise_only"]], {"duration": d, "requests": int(20_000 * d)}),
        ], rounds)
        for server in ceilings.values():
            server.stop()
        runs.update(ab)
        runs["floor mix plain"] = [loadgen([floor], label="floor mix plain", scenario="mix", duration=d,
                                           floor=True)]
        runs["service mix plain"] = [loadgen([svc], label="service mix plain", scenario="mix", duration=d,
                                             requests=svc_req)]
        runs["service mix aes"] = [loadgen([svc], label="service mix aes", scenario="mix", mode="aes",
                                           duration=d, requests=svc_req)]
        max_rps = median_rps(ab["service start plain"])
        rate = round(max_rps * 0.5, 1)
        runs["service open-loop 50%"] = [loadgen([svc], label=f"service open {rate}/s", duration=d * 1.6,
                                                 rate=rate)]
        summary["sqlite"] = {
            "floor_plain_rps": median_rps(ab["floor start plain"]),
            "service_plain_rps": max_rps,
            "floor_aes_rps": median_rps(ab["floor start aes"]),
            "service_aes_rps": median_rps(ab["service start aes"]),
            "floor_mix_rps": runs["floor mix plain"][0]["throughput_rps"],
            "service_mix_rps": runs["service mix plain"][0]["throughput_rps"],
            "service_mix_aes_rps": runs["service mix aes"][0]["throughput_rps"],
            "open_rate": rate,
            "open_latency_ms": runs["service open-loop 50%"][0]["latency_ms"],
            "open_rps": runs["service open-loop 50%"][0]["throughput_rps"],
        }
        s = summary["sqlite"]
        s["cpu_ms_per_req"] = {k: cpu_ms_per_request(v) for k, v in runs.items()}
        s["ratio_plain"] = round(s["service_plain_rps"] / s["floor_plain_rps"], 3)
        s["ratio_aes"] = round(s["service_aes_rps"] / s["floor_aes_rps"], 3)
        s["ratio_mix"] = round(s["service_mix_rps"] / s["floor_mix_rps"], 3)
        s["ceilings_rps"] = {name: median_rps(ab[f"ceiling {name}"]) for name in ceilings}
        summary["rss_mb"] = {"sqlite-1": svc.peak_rss_mb(), "floor": floor.peak_rss_mb()}
        for server in (svc, floor):
            server.stop()

        if not args.no_postgres and create_pg_database():
            print("PostgreSQL, 1 worker vs 2 workers", file=sys.stderr)
            prepare_database(PG_URL)
            pg = [start_service(f"pg-{i}", PG_URL, tmp, args.variant) for i in (1, 2)]
            servers.extend(pg)
            summary["ready_s_pg"] = round(max(p.ready_s for p in pg), 3)
            bare = start_service("pg-no-migrate", PG_URL, tmp, args.variant, ("--no-migrate",))
            summary["ready_s_pg_no_migrate"] = round(bare.ready_s, 3)
            bare.stop()
            pgruns = alternate([
                ("pg 1 worker start plain", [pg[0]], {"duration": d, "requests": svc_req}),
                ("pg 2 workers start plain", pg, {"duration": d, "requests": 2 * svc_req}),
            ], max(1, rounds - 1))
            runs.update(pgruns)
            one, two = median_rps(pgruns["pg 1 worker start plain"]), median_rps(pgruns["pg 2 workers start plain"])
            summary["postgres"] = {
                "one_worker_rps": one, "two_workers_rps": two, "scale": round(two / one, 3),
                "cpu_ms_per_req": cpu_ms_per_request(pgruns["pg 1 worker start plain"]),
                "cpu_ms_per_req_two": cpu_ms_per_request(pgruns["pg 2 workers start plain"]),
                "machine_busy_one": statistics.median(r["machine_busy"] for r in pgruns["pg 1 worker start plain"]),
                "machine_busy_two": statistics.median(r["machine_busy"] for r in pgruns["pg 2 workers start plain"]),
            }
            for p in pg:
                summary["rss_mb"][p.name] = p.peak_rss_mb()
                p.stop()

        print("categorise() on one core", file=sys.stderr)
        summary["categorise"] = categorise_rate(1.5 if args.quick else 3.0)
    finally:
        for server in servers:
            server.stop()

    all_runs = [r for rs in runs.values() for r in rs]
    summary["errors"] = sum(r["errors"] for r in all_runs)
    summary["invalid"] = sum(r["invalid"] for r in all_runs)
    summary["requests"] = sum(r["requests"] for r in all_runs)
    worker_rss = [v for k, v in summary["rss_mb"].items() if k != "floor"]
    summary["max_worker_rss_mb"] = max(worker_rss)
    result = {
        "timestamp": stamp, "commit": git_commit(), "quick": args.quick, "seconds": round(time.perf_counter() - t_start, 1),
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
                    "python": sys.version.split()[0]},
        "concurrency": CONCURRENCY, "variant": args.variant, "summary": summary, "targets": TARGETS, "runs": runs,
    }
    out = BENCH / "results" / f"{stamp}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(result))
    print(f"\nresults: {out.relative_to(REPO)}  ({result['seconds']} s)", file=sys.stderr)


def _ok(passed: bool) -> str:
    return "✅" if passed else "❌"


def table(result: dict[str, Any]) -> str:
    s = result["summary"]
    q = s["sqlite"]
    lat = q["open_latency_ms"]
    cpu = q["cpu_ms_per_req"]
    rows = [
        ("吞吐 服务/地板：报案首条消息，明文，1 worker SQLite",
         f"{q['service_plain_rps']:.0f} / {q['floor_plain_rps']:.0f} req/s = **{q['ratio_plain']:.2f}**",
         f"≥ {TARGETS['ratio']:.2f}", _ok(q["ratio_plain"] >= TARGETS["ratio"])),
        ("吞吐 服务/地板：报案首条消息，安全模式（AES）",
         f"{q['service_aes_rps']:.0f} / {q['floor_aes_rps']:.0f} req/s = {q['ratio_aes']:.2f}", "—", ""),
        ("吞吐 服务/地板：混合会话（报案、补充、确认、查询、事件、重试）",
         f"{q['service_mix_rps']:.0f} / {q['floor_mix_rps']:.0f} req/s = {q['ratio_mix']:.2f}"
         f"（AES {q['service_mix_aes_rps']:.0f}）", "—", ""),
        ("每请求服务器 CPU：服务 / 地板（报案首条消息，明文）",
         f"{cpu.get('service start plain', 0):.2f} / {cpu.get('floor start plain', 0):.3f} ms"
         f"（混合会话 {cpu.get('service mix plain', 0):.2f} ms）", "—", ""),
        *[(label, f"{q['ceilings_rps'][name]:.0f} / {q['floor_plain_rps']:.0f} req/s = "
           f"{q['ceilings_rps'][name] / q['floor_plain_rps']:.2f}", "—", "")
          for name, label in (("no_process", "上限：只做 HTTP、验签、解析、回复（单元工作为空）"),
                              ("categorise_only", "上限：再加首条回复必需的 categorise()"))
          if name in q.get("ceilings_rps", {})],
        (f"开环 {q['open_rate']:.0f} req/s（最大值的 50 %）延迟",
         f"p50 {lat['p50']:.1f} / p90 {lat['p90']:.1f} / p99 **{lat['p99']:.1f}** / max {lat['max']:.1f} ms",
         f"p99 < {TARGETS['p99_ms']:.0f} ms", _ok(lat["p99"] < TARGETS["p99_ms"])),
    ]
    if "postgres" in s:
        p = s["postgres"]
        rows.append(("PostgreSQL 2 workers / 1 worker",
                     f"{p['two_workers_rps']:.0f} / {p['one_worker_rps']:.0f} req/s = **{p['scale']:.2f}×**",
                     f"≥ {TARGETS['pg_scale']:.1f}×", _ok(p["scale"] >= TARGETS["pg_scale"])))
        if "machine_busy_two" in p:
            rows.append(("PostgreSQL：整机 CPU 占用 / 每请求 worker CPU",
                         f"1 worker {100 * p['machine_busy_one']:.0f} %，{p['cpu_ms_per_req']:.2f} ms；"
                         f"2 workers {100 * p['machine_busy_two']:.0f} %，{p['cpu_ms_per_req_two']:.2f} ms", "—", ""))
    c = s["categorise"]
    rows += [
        ("categorise() 单核", f"**{c.get('per_second', 0):.0f}** 条/秒（加载 {c.get('load_s', 0):.2f} s）",
         f"≥ {TARGETS['categorise']:.0f}", _ok(c.get("per_second", 0) >= TARGETS["categorise"])),
        ("启动到 /healthz 就绪", f"**{s['ready_s']:.2f} s**（PostgreSQL {s.get('ready_s_pg', 0):.2f} s；--no-migrate："
         f"SQLite {s['ready_s_no_migrate']:.2f} s，PostgreSQL {s.get('ready_s_pg_no_migrate', 0):.2f} s）",
         f"< {TARGETS['ready_s']:.0f} s", _ok(max(s["ready_s"], s.get("ready_s_pg", 0)) < TARGETS["ready_s"])),
        ("每个 worker 峰值 RSS", f"**{s['max_worker_rss_mb']:.0f} MB**（地板 {s['rss_mb'].get('floor', 0):.0f} MB）",
         f"< {TARGETS['rss_mb']:.0f} MB", _ok(s["max_worker_rss_mb"] < TARGETS["rss_mb"])),
        ("错误 / 无效回复", f"**{s['errors']} / {s['invalid']}**（共 {s['requests']} 个请求）", "0 / 0",
         _ok(s["errors"] == 0 and s["invalid"] == 0)),
    ]
    m = result["machine"]
    lines = [f"`python bench/run.py{' --quick' if result['quick'] else ''}`，{m['cpus']} 核，"
             f"Python {m['python']}，提交 {result['commit']}，{result['timestamp']}，"
             f"并发 {result['concurrency']} 连接，"
             f"{'变体 ' + result['variant'] + '，' if result.get('variant') else ''}"
             f"负载均值 {m['loadavg_before'][0]:.1f} → {m['loadavg_after'][0]:.1f}",
             "", "| 指标 | 结果 | 目标 | 达标 |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c_} | {d} |" for a, b, c_, d in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
