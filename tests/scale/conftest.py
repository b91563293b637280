"""Scale tests need PostgreSQL: several processes on one SQLite file is not a supported deployment."""

from __future__ import annotations

import pytest

from tests import dbs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if dbs.postgres_base_url() is not None:
        return
    skip = pytest.mark.skip(reason=f"multi-process scale-out runs on PostgreSQL only: set {dbs.PG_ENV}="
                                   "postgresql+asyncpg://… to run it")
    for item in items:
        if "tests/scale/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)
