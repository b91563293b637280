"""Test databases: a fresh SQLite file per test, or a per-run PostgreSQL database truncated per test.

``XINFANG_TEST_DATABASE_URL=postgresql+asyncpg://…/test`` switches the whole suite to PostgreSQL; the
suite then makes its own database next to it so parallel runs and the ``test`` database stay clean.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

import storage.models  # noqa: F401
from storage.base import Base
from storage.engine import make_engine

PG_ENV = "XINFANG_TEST_DATABASE_URL"


def postgres_base_url() -> str | None:
    url = os.environ.get(PG_ENV, "")
    return url if url.startswith("postgresql") else None


async def create_postgres_database(base_url: str, name: str | None = None) -> str:
    name = name or f"xf_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def _null_pool():  # type: ignore[no-untyped-def]
    from sqlalchemy.pool import NullPool

    return NullPool


async def create_schema(url: str) -> None:
    engine = make_engine(url, poolclass=_null_pool())
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()


async def truncate_all(url: str) -> None:
    engine = make_engine(url, poolclass=_null_pool())
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


SQLITE_FILE = "xinfang-test.db"


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / SQLITE_FILE}"
