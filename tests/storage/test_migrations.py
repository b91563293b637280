"""Alembic migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage import migrate
from storage.engine import make_engine
from tests import dbs


async def test_upgrade_head_matches_models(tmp_path: Path) -> None:
    base = dbs.postgres_base_url()
    url = await dbs.create_postgres_database(base) if base else dbs.sqlite_url(tmp_path)
    try:
        await migrate.upgrade_async(url)
        assert await migrate.schema_diff(url) == []
        # Running it again is a no-op (safe to run while workers run).
        await migrate.upgrade_async(url)
        engine = make_engine(url)
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        await engine.dispose()
        assert version
    finally:
        if base:
            await dbs.drop_postgres_database(base, url)
