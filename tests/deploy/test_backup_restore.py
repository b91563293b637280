"""Backups that restore: the nightly script's dump goes into a fresh database and ``xinfang export`` of
both is identical; retention keeps 7 daily and 4 weekly dumps. PostgreSQL only (it is pg_dump)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.clock import FakeClock
from storage import migrate
from tests import dbs
from tests.jobs.world import add_case, local, runtime, seed_office
from tests.serve_process import process_env, run_cli

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "backup" / "xinfang-backup.sh"

pytestmark = pytest.mark.skipif(dbs.postgres_base_url() is None or shutil.which("pg_dump") is None,
                                reason="the backup drill needs PostgreSQL and pg_dump")


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, directory: Path, day: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINFANG_DATABASE_URL": url, "BACKUP_DIR": str(directory), "BACKUP_DATE": day}
    return subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)


def export(url: str, cwd: Path) -> bytes:
    result = run_cli(["export", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv", "--out", "-"],
                     process_env(url), cwd)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


async def test_dump_restores_into_a_fresh_database_with_identical_export(tmp_path: Path, clock: FakeClock) -> None:
    base = dbs.postgres_base_url()
    assert base is not None
    source = await dbs.create_postgres_database(base)
    restored = await dbs.create_postgres_database(base)
    try:
        await migrate.upgrade_async(source)
        async with runtime(source, clock) as rt:
            office = await seed_office(rt)
            for i, title in enumerate(["小区物业乱收费，电话13812345678", "村道塌陷无人修", "工资拖欠三个月"]):
                await add_case(rt, office.housing, openid=f"o-drill-{i}", title=title,
                               registered_at=local(2026, 11, 3 + i, 10), owner=office.clerk)

        result = await asyncio.to_thread(backup, source, tmp_path / "backups", "2026-11-29")
        assert result.returncode == 0, result.stderr
        dump = tmp_path / "backups" / "daily" / "xinfang-2026-11-29.dump"
        assert dump.stat().st_size > 0
        assert (tmp_path / "backups" / "weekly" / "xinfang-2026-W48.dump").exists()  # a Sunday

        restore = await asyncio.to_thread(subprocess.run, ["pg_restore", "--no-owner", "--exit-on-error",
                                                           f"--dbname={libpq(restored)}", str(dump)],
                                          capture_output=True, text=True, timeout=120)
        assert restore.returncode == 0, restore.stderr
        # After a restore the migration step runs (README): a no-op here, the schema is current.
        await migrate.upgrade_async(restored)

        original, copy = await asyncio.gather(asyncio.to_thread(export, source, tmp_path),
                                              asyncio.to_thread(export, restored, tmp_path))
        assert original == copy
        assert original.decode("utf-8-sig").count("\n") >= 4 and "村道塌陷无人修" in original.decode("utf-8-sig")
    finally:
        await dbs.drop_postgres_database(base, source)
        await dbs.drop_postgres_database(base, restored)


async def test_retention_keeps_seven_daily_and_four_weekly(tmp_path: Path) -> None:
    base = dbs.postgres_base_url()
    assert base is not None
    url = await dbs.create_postgres_database(base)
    backups = tmp_path / "backups"
    (backups / "daily").mkdir(parents=True)
    (backups / "weekly").mkdir()
    today = date(2026, 12, 2)
    for n in range(1, 15):  # two weeks of older nightly dumps, and their weeks
        day = today - timedelta(days=n)
        (backups / "daily" / f"xinfang-{day.isoformat()}.dump").write_bytes(b"old")
        week = day.isocalendar()
        (backups / "weekly" / f"xinfang-{week.year}-W{week.week:02d}.dump").write_bytes(b"old")
    for n in range(3, 8):
        week = (today - timedelta(weeks=n)).isocalendar()
        (backups / "weekly" / f"xinfang-{week.year}-W{week.week:02d}.dump").write_bytes(b"old")
    (backups / "daily" / "notes.txt").write_text("kept: not a dump")
    try:
        result = await asyncio.to_thread(backup, url, backups, today.isoformat())
        assert result.returncode == 0, result.stderr
    finally:
        await dbs.drop_postgres_database(base, url)
    daily = sorted(p.name for p in (backups / "daily").glob("*.dump"))
    assert daily == [f"xinfang-{(today - timedelta(days=n)).isoformat()}.dump" for n in range(6, -1, -1)]
    weekly = sorted(p.name for p in (backups / "weekly").glob("*.dump"))
    assert len(weekly) == 4 and weekly[-1] == "xinfang-2026-W49.dump"
    assert (backups / "daily" / "notes.txt").exists()
    assert (backups / "daily" / f"xinfang-{today.isoformat()}.dump").read_bytes()[:5] == b"PGDMP"
