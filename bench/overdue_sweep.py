"""Benchmark (not a test): one overdue sweep over 1,000,000 cases in PostgreSQL.

Seeds the cases with one ``INSERT … SELECT … FROM generate_series`` (seconds, not minutes), in a
realistic mix: most closed, a few percent open, of which a fraction overdue. Then times the sweep the
09:00 job runs (``storage.repositories.deadline_sweeps.overdue_cases``) and prints PostgreSQL's plan with
``EXPLAIN (ANALYZE, BUFFERS)``. Target: under 1 s.

    .venv/bin/python bench/overdue_sweep.py [--url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--cases 1000000] [--keep]

It creates (and unless ``--keep`` drops) its own database ``xf_bench_sweep`` next to the given URL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

import storage.models  # noqa: E402,F401
from bot.case_policy import DEADLINE_CLOCKS  # noqa: E402
from storage.base import Base  # noqa: E402
from storage.engine import make_session_factory  # noqa: E402
from storage.repositories.deadline_sweeps import _deadline_sweep, overdue_cases  # noqa: E402

DB_NAME = "xf_bench_sweep"
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)

# Per row g: status by g % 1000 — 900‰ closed, 40‰ resolved, 20‰ registered, 40‰ accepted/in progress.
# Open cases get deadlines from 12 days before NOW to 108 days after, so about a tenth are overdue.
SEED = """
INSERT INTO cases (number, citizen_openid, content, title, category, category_group, kind, department_id,
                   score, keywords, urgent_flags, group_risk, source, status, registered_at, accepted_at,
                   resolved_at, closed_at, ack_due_at, resolve_due_at, transfer_count, review_level,
                   reopened_count, updated_at)
SELECT 'XF' || to_char(reg, 'YYYYMMDD') || '-' || lpad(g::text, 7, '0'),
       'o-' || (g % 200000),
       '小区物业长期不作为，请尽快解决。', '小区物业长期不作为', '物业管理', '城乡建设', '申诉求决类',
       1 + g % 20, 0.5, '[]', '[]', false, 'wechat', st, reg,
       CASE WHEN st <> 'registered' THEN reg + interval '3 days' END,
       CASE WHEN st IN ('resolved', 'closed') THEN reg + interval '40 days' END,
       CASE WHEN st = 'closed' THEN reg + interval '50 days' END,
       CASE WHEN st = 'registered' THEN CAST(:now AS timestamptz) + ((g % 121) - 12) * interval '1 day'
            ELSE reg + interval '15 days' END,
       CASE WHEN st IN ('accepted', 'in_progress') THEN CAST(:now AS timestamptz) + ((g % 121) - 12) * interval '1 day'
            WHEN st <> 'registered' THEN reg + interval '63 days' END,
       0, 0, 0, reg
FROM (
    SELECT g,
           CASE WHEN g % 1000 < 900 THEN 'closed'
                WHEN g % 1000 < 940 THEN 'resolved'
                WHEN g % 1000 < 960 THEN 'registered'
                WHEN g % 1000 < 980 THEN 'accepted'
                ELSE 'in_progress' END AS st,
           CAST(:now AS timestamptz) - (g % 1095) * interval '1 day' - (g % 86400) * interval '1 second' AS reg
    FROM generate_series(1, :n) AS g
) AS s
"""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    admin = create_async_engine(args.url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    url = make_url(args.url).set(database=DB_NAME).render_as_string(hide_password=False)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            await conn.execute(text(
                "INSERT INTO departments (id, name, is_triage, is_supervision) "
                "SELECT g, '部门' || g, false, false FROM generate_series(1, 20) g"))
        started = time.perf_counter()
        cases_table = Base.metadata.tables["cases"]
        async with engine.begin() as conn:
            # Bulk load without the secondary indexes, then build them once (much faster than
            # maintaining fifteen indexes row by row).
            for index in cases_table.indexes:
                await conn.execute(text(f'DROP INDEX "{index.name}"'))
            await conn.execute(text(SEED), {"now": NOW, "n": args.cases})
            for index in cases_table.indexes:
                await conn.run_sync(index.create)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE cases"))
        print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")

        sessions = make_session_factory(engine)
        async with sessions() as session:
            counts = (await session.execute(text(
                "SELECT status, count(*) FROM cases GROUP BY status ORDER BY status"))).all()
            print("by status:", ", ".join(f"{s} {n:,}" for s, n in counts))
            timings = []
            found = 0
            for _ in range(7):
                t0 = time.perf_counter()
                found = len(await overdue_cases(session, DEADLINE_CLOCKS, due_before=NOW))
                timings.append(time.perf_counter() - t0)
            print(f"overdue sweep: {found:,} overdue cases; median {statistics.median(timings) * 1000:.1f} ms, "
                  f"min {min(timings) * 1000:.1f} ms, first (cold) {timings[0] * 1000:.1f} ms "
                  f"(query + fetch into Python objects)")
            stmt = _deadline_sweep(DEADLINE_CLOCKS, None, NOW, upper_inclusive=False)
            sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            plan = (await session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))).scalars().all()
            print("\nEXPLAIN (ANALYZE, BUFFERS)", sql.replace("\n", " "), "\n")
            print("\n".join(plan))
    finally:
        await engine.dispose()
        if not args.keep:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
