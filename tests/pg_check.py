"""Exit 0 when the PostgreSQL URL given on the command line accepts connections (used by `make test`)."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import text
from sqlalchemy.pool import NullPool

from storage.engine import make_engine


async def reachable(url: str) -> bool:
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # any failure means "not reachable"; say which
        print(f"PostgreSQL check failed: {exc}", file=sys.stderr)
        return False
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(reachable(sys.argv[1])) else 1)
