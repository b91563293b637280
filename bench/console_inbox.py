"""Benchmark (not a test): the console's 待办 inbox over 10,000 cases on SQLite, and `xinfang console` start-up.

Seeds a fresh SQLite file (schema by Alembic, as `xinfang db upgrade` makes it) with 10,000 cases over
five departments (about 60 % open, a tenth of those overdue), a staff member of one department and a
supervisor (who sees all 10,000). Serves the console on 127.0.0.1 and times, over real HTTP with a
signed-in session, the first inbox page (server time to the full HTML) for both, a search and the
overdue filter. Baseline in the same run: the login-form page (same middleware and session lookup,
no case query). Then starts `xinfang console` as a process and times spawn → first HTTP answer.
Targets: inbox first page < 300 ms; start-up < 2 s.

    .venv/bin/python bench/console_inbox.py [--cases 10000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bot.app import build_runtime  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.console import create_console_app  # noqa: E402
from bot.console.app import HANDLER_ARGS  # noqa: E402
from bot.services import console_auth  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import migrate  # noqa: E402
from storage.models import Case, Department, Person  # noqa: E402

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
DEPARTMENTS = ["住房和城乡建设局", "人力资源和社会保障局", "交通运输局", "生态环境局", "信访局"]
TEXTS = ["小区物业乱收费，电梯坏了三个月也没人修", "公司拖欠工资半年，老板联系不上", "公交站台被占用，老人上车困难",
         "工厂夜间排放废气，气味刺鼻", "村里道路损坏多年无人修缮，雨天无法通行"]
OPEN = ("registered", "accepted", "in_progress")


def seed_rows(count: int) -> list[dict]:
    rng = random.Random(7)
    rows = []
    for i in range(count):
        dept = i % len(DEPARTMENTS) + 1
        status = rng.choice(OPEN + OPEN + ("resolved", "closed"))
        registered = NOW - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1440))
        due = NOW + timedelta(days=rng.randint(-6, 54))
        text = TEXTS[dept - 1] + f"（第{i}号）"
        rows.append(dict(
            number=f"XF{registered:%Y%m%d}-{i:05d}", citizen_openid=f"o-bench-{i % 3000}", content=text,
            title=text[:30], category="物业管理", category_group="城乡建设", kind="申诉求决类", department_id=dept,
            score=1.0, keywords=[["物业", 2.0]], urgent_flags=[], group_risk=False, location_text=f"{i % 50}号楼",
            source=rng.choice(("wechat", "wechat", "reception", "letter", "phone")), status=status,
            registered_at=registered, ack_due_at=due if status == "registered" else registered + timedelta(days=15),
            resolve_due_at=None if status == "registered" else due, updated_at=registered, transfer_count=0,
            review_level=0, reopened_count=0))
    return rows


async def seed(settings: Settings, count: int) -> None:
    rt, dispose = build_runtime(settings, FakeClock(NOW))
    async with rt.sessions() as session, session.begin():
        for name in DEPARTMENTS:
            session.add(Department(name=name, is_triage=name == "信访局"))
        await session.flush()
        session.add_all([Person(name="科员甲", role="staff", department_id=1, openid="o-staff", active=True,
                                created_at=NOW),
                         Person(name="督查甲", role="supervisor", openid="o-super", active=True, created_at=NOW)])
        rows = seed_rows(count)
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Case), rows[start:start + 2000])
    await dispose()  # type: ignore[misc]


async def timed(http: aiohttp.ClientSession, url: str, rounds: int) -> list[float]:
    for _ in range(3):
        async with http.get(url) as response:
            await response.read()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        async with http.get(url) as response:
            body = await response.read()
            assert response.status == 200, (response.status, body[:200])
        times.append((time.perf_counter() - start) * 1000)
    return times


async def serve_and_time(settings: Settings, rounds: int) -> dict[str, list[float]]:
    clock = FakeClock(NOW)
    rt, dispose = build_runtime(settings, clock)
    app = create_console_app(settings, clock, runtime=rt)
    runner = web.AppRunner(app, access_log=None, **HANDLER_ARGS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    results: dict[str, list[float]] = {}
    try:
        for who, openid in (("staff", "o-staff"), ("supervisor", "o-super")):
            async with rt.sessions() as session, session.begin():
                person = await session.scalar(select(Person).where(Person.openid == openid))
                link = await console_auth.issue_login_link(session, rt, person)
            token = link.rsplit("/", 1)[1]  # type: ignore[union-attr]
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.post(f"{base}/login/{token}") as response:
                    assert response.status == 200
                results[f"baseline login form ({who})"] = await timed(http, f"{base}/login/x", rounds)
                results[f"inbox first page ({who})"] = await timed(http, f"{base}/inbox", rounds)
                results[f"inbox search 物业 ({who})"] = await timed(http, f"{base}/inbox?q=%E7%89%A9%E4%B8%9A", rounds)
                results[f"inbox overdue ({who})"] = await timed(http, f"{base}/inbox?overdue=1", rounds)
                results[f"inbox page 50 ({who})"] = await timed(http, f"{base}/inbox?page=50&status=all", rounds)
    finally:
        await runner.cleanup()
        await dispose()  # type: ignore[misc]
    return results


def startup_seconds(env: dict[str, str], migrate_flag: str) -> tuple[float, float]:
    """Spawn `xinfang console`, wait for its first HTTP answer: (wall seconds, CPU seconds it used).

    The CPU figure (user + system of the child, read when it has exited) does not depend on how busy
    the machine is; the wall figure does.
    """
    import resource
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "xinfang"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    wall = None
    proc = subprocess.Popen([str(exe), "console", "--port", str(port), migrate_flag], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import urllib.request

        while time.perf_counter() - start < 20:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/x", timeout=1) as response:
                    response.read()
                wall = time.perf_counter() - start
                break
            except OSError:
                time.sleep(0.02)
        if wall is None:
            raise RuntimeError("console did not answer within 20 s")
    finally:
        proc.kill()  # at once: the CPU used after the first answer is not start-up
        proc.wait(10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xf-bench-console-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        settings = Settings(database_url=url, media_dir=Path(tmp) / "media", console_url="http://127.0.0.1:1")
        migrate.upgrade(url)
        asyncio.run(seed(settings, args.cases))
        results = asyncio.run(serve_and_time(settings, args.rounds))
        print(f"{args.cases} cases on SQLite, {args.rounds} timed requests each (ms, full HTTP round trip)")
        for name, times in results.items():
            times.sort()
            p50 = statistics.median(times)
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"  {name:42s} p50 {p50:7.1f}  p95 {p95:7.1f}  max {times[-1]:7.1f}")
        base = statistics.median(results["baseline login form (supervisor)"])
        inbox = statistics.median(results["inbox first page (supervisor)"])
        print(f"  ratio inbox/baseline (supervisor, p50): {inbox / base:.1f}x")
        env = {**os.environ, "XINFANG_DATABASE_URL": url}
        for flag in ("--no-migrate", "--migrate"):
            runs = [startup_seconds(env, flag) for _ in range(3)]
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(f"  xinfang console {flag:12s} start → first answer: wall best {min(walls):.2f} s, "
                  f"median {statistics.median(walls):.2f} s; CPU used median {statistics.median(cpus):.2f} s")
        print(f"  machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
