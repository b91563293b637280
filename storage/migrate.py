"""Schema migrations: run Alembic to head, and compare the migrated schema with the models."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking: call from a thread when an event loop is running (env.py runs its own loop)."""
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)


async def upgrade_async(url: str) -> None:
    await asyncio.to_thread(upgrade, url)


async def schema_diff(url: str) -> list[Any]:
    """Differences between the database at ``url`` and the models (empty when migrations match)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.models  # noqa: F401
    from storage.base import Base
    from storage.engine import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            def _diff(sync_conn: Any) -> list[Any]:
                mc = MigrationContext.configure(sync_conn, opts={"compare_type": False})
                return list(compare_metadata(mc, Base.metadata))

            return await conn.run_sync(_diff)
    finally:
        await engine.dispose()
