"""Benchmark (not a test): the group-risk lookup at confirmation with 5,000 long cases in the 24-hour window.

Compares, in one process on the same database, the old scan (every recent case's text loaded and its
bigrams compared — ``storage.repositories.cases.recent_report_texts`` + ``nlp.cosine``, as
``bot.services.risk.similar_reports`` did before issue #20) with today's indexed lookup through
``case_shingles`` (``risk.similar_reports``), and times the whole ``risk.assess_new_case`` too. Each
measured confirmation runs in a transaction that is rolled back, so the window stays at N cases.
Both lookups must return the same similar cases (checked and printed).

    .venv/bin/python bench/group_risk.py [--cases 5000] [--probes 20] [--url sqlite+aiosqlite:///...]

Without ``--url`` it uses a throwaway SQLite file; a PostgreSQL URL names a database it creates and drops.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

import storage.models  # noqa: E402,F401
from bot.clock import FakeClock  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.services import risk  # noqa: E402
from bot.settings import Settings  # noqa: E402
from nlp import Categoriser, bigrams, cosine, load_rules  # noqa: E402
from nlp.similarity import bigram_hashes, sketch  # noqa: E402
from storage.base import Base  # noqa: E402
from storage.engine import make_engine, make_session_factory  # noqa: E402
from storage.models import Case, CaseShingle, Department  # noqa: E402
from storage.repositories.cases import cases_by_ids, recent_report_texts  # noqa: E402

BENCH = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
CLAUSE = re.compile(r"[^，。！？；,!?;]+")


def clauses() -> list[str]:
    lines = [line.strip() for line in (BENCH / "texts.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return [c for line in lines for c in CLAUSE.findall(line) if len(c) >= 4]


def vocabulary() -> tuple[list[str], list[int]]:
    """The 20,000 most frequent two- to four-character words of jieba's dictionary, with frequencies:
    random text drawn from them has the bigram statistics of Chinese, not of a few template sentences."""
    import jieba

    words = []
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            word, freq, *_ = line.split()
            if 2 <= len(word) <= 4:
                words.append((int(freq), word))
    words.sort(reverse=True)
    top = words[:20000]
    return [w for _, w in top], [f for f, _ in top]


WORDS = 600  # about 1,500 characters a case: the "long cases" of the review


def long_case(rng: random.Random, pool: list[str], i: int, vocab: tuple[list[str], list[int]]) -> str:
    """A long report: a few complaint clauses from the bench texts within ordinary Chinese words,
    plus case-specific details."""
    words = rng.choices(vocab[0], weights=vocab[1], k=WORDS)
    for clause in rng.sample(pool, 4):
        words.insert(rng.randrange(len(words)), "，" + clause + "，")
    words.append(f"，涉及第{i}号楼{rng.randrange(1, 30)}户，累计{rng.randrange(2, 99)}万元。")
    return "".join(words)


async def old_similar_reports(session, rt: Runtime, case: Case) -> list[Case]:  # type: ignore[no-untyped-def]
    """The pre-index lookup, verbatim: every case of the window compared."""
    others = await recent_report_texts(session, since=rt.now() - risk.GROUP_WINDOW, exclude_id=case.id)
    mine = bigrams(case.content)
    ids = [other.id for other in others
           if risk.same_place(case, other) and cosine(mine, bigrams(other.content)) >= risk.GROUP_SIMILARITY]
    return [case, *await cases_by_ids(session, ids)]


async def seed(rt: Runtime, n: int, rng: random.Random, pool: list[str],
               vocab: tuple[list[str], list[int]]) -> int:
    async with rt.sessions() as session, session.begin():
        dept = Department(name="住建局", is_triage=False, is_supervision=False)
        session.add(dept)
        await session.flush()
        base = dict(title="（长文本）", category="城建", category_group="城乡建设", kind="申诉求决类",
                    department_id=dept.id, score=1.0, keywords=[], urgent_flags=[], group_risk=False,
                    source="wechat", status="registered", transfer_count=0, review_level=0, reopened_count=0)
        rows, sketches = [], []
        for i in range(n):
            at = NOW - timedelta(seconds=rng.randrange(1, 23 * 3600))
            content = long_case(rng, pool, i, vocab)
            rows.append({**base, "id": i + 1, "number": f"XF20261123-{i + 1:05d}", "citizen_openid": f"o-b{i:05d}",
                         "content": content, "registered_at": at, "updated_at": at})
            hashes = bigram_hashes(bigrams(content))
            sketches += [{"shingle": h, "registered_at": at, "case_id": i + 1, "bigram_count": len(hashes)}
                         for h in sketch(hashes)]
        for start in range(0, n, 500):
            await session.execute(insert(Case), rows[start:start + 500])
        for start in range(0, len(sketches), 5000):
            await session.execute(insert(CaseShingle), sketches[start:start + 5000])
        return dept.id


async def probe(rt: Runtime, dept_id: int, content: str, i: int, fn) -> tuple[float, float, list[int]]:  # type: ignore[no-untyped-def]
    """(wall s, CPU s, similar case ids) of ``fn(session, rt, case)`` on a new case, rolled back."""
    async with rt.sessions() as session:
        async with session.begin():
            case = Case(number=f"XF20261124-{i:05d}", citizen_openid=f"o-new{i}", content=content, title="新",
                        category="城建", category_group="城乡建设", kind="申诉求决类", department_id=dept_id,
                        score=1.0, keywords=[], urgent_flags=[], group_risk=False, source="wechat",
                        status="registered", registered_at=NOW, updated_at=NOW, transfer_count=0,
                        review_level=0, reopened_count=0)
            session.add(case)
            await session.flush()
            wall, cpu = time.perf_counter(), time.process_time()
            found = await fn(session, rt, case)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            ids = sorted(c.id for c in found if c.id != case.id) if isinstance(found, list) else []
            await session.rollback()
    return wall, cpu, ids


async def main(url: str | None, cases: int, probes: int) -> None:
    tmp = tempfile.TemporaryDirectory()
    admin = None
    if url is None:
        url = f"sqlite+aiosqlite:///{tmp.name}/group_risk.db"
    elif url.startswith("postgresql"):
        parsed = make_url(url)
        admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
            await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    settings = Settings(database_url=url)
    rt = Runtime(settings=settings, clock=FakeClock(NOW), sessions=make_session_factory(engine),
                 categoriser=Categoriser(load_rules(None)))
    rng = random.Random(2026)
    pool, vocab = clauses(), vocabulary()
    t0 = time.perf_counter()
    dept_id = await seed(rt, cases, rng, pool, vocab)
    sizes = [len(long_case(rng, pool, 0, vocab)) for _ in range(50)]
    print(f"seeded {cases} long cases (median {statistics.median(sizes)} "
          f"chars) in {time.perf_counter() - t0:.1f} s on {make_url(url).get_backend_name()}")

    async def assess(session, rt, case):  # type: ignore[no-untyped-def]
        result = await risk.assess_new_case(session, rt, case)
        return result.cluster

    results: dict[str, list[tuple[float, float]]] = {"old scan": [], "index lookup": [], "assess_new_case": []}
    agree = 0
    for i in range(probes):
        # Every other probe is a near-copy of a seeded case, so the lookups have something to find.
        content = long_case(rng, pool, 90000 + i, vocab)
        if i % 2:
            async with rt.sessions() as session:
                seeded = await session.get(Case, rng.randrange(1, cases + 1))
                content = seeded.content[: len(seeded.content) * 3 // 4] + "，情况一直没有解决。"
        old = await probe(rt, dept_id, content, i, old_similar_reports)
        new = await probe(rt, dept_id, content, i, risk.similar_reports)
        full = await probe(rt, dept_id, content, i, assess)
        results["old scan"].append(old[:2])
        results["index lookup"].append(new[:2])
        results["assess_new_case"].append(full[:2])
        agree += old[2] == new[2]
    print("| lookup | median wall ms | median CPU ms | max wall ms |\n|---|---|---|---|")
    for name, rows in results.items():
        print(f"| {name} | {statistics.median(r[0] for r in rows) * 1000:.1f} | "
              f"{statistics.median(r[1] for r in rows) * 1000:.1f} | {max(r[0] for r in rows) * 1000:.1f} |")
    ratio = statistics.median(r[0] for r in results["old scan"]) / statistics.median(
        r[0] for r in results["index lookup"])
    print(f"old scan / index lookup (median wall): {ratio:.0f}x; same similar cases in {agree}/{probes} probes")
    await engine.dispose()
    if admin is not None:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}"'))
        await admin.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.cases, args.probes))
