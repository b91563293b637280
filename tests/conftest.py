"""Shared fixtures: a real database (SQLite file or PostgreSQL), a fake clock, settings.

The service-level fixtures (fake WeChat platform + running service) live in tests/harness.py.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from tests import dbs
from tests.harness import service  # noqa: F401  (fixture)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """One PostgreSQL database per test run (created and dropped here), or None on SQLite."""
    base = dbs.postgres_base_url()
    if base is None:
        yield None
        return
    url = asyncio.run(dbs.create_postgres_database(base))
    asyncio.run(dbs.create_schema(url))
    yield url
    asyncio.run(dbs.drop_postgres_database(base, url))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The schema built once; each test gets a copy of this file (creating it per test is slow)."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    asyncio.run(dbs.create_schema(dbs.sqlite_url(directory)))
    return directory / dbs.SQLITE_FILE


@pytest.fixture
async def db_url(pg_database: str | None, sqlite_template: Path, tmp_path: Path) -> AsyncIterator[str]:
    if pg_database is not None:
        await dbs.truncate_all(pg_database)
        yield pg_database
        return
    shutil.copyfile(sqlite_template, tmp_path / dbs.SQLITE_FILE)
    yield dbs.sqlite_url(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    # Tuesday 2026-11-24 09:00 in Asia/Shanghai.
    return FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
