"""What every CLI command shares: loading settings and running an async body with a runtime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.runtime import Runtime
from bot.settings import Settings

T = TypeVar("T")


def load_settings() -> Settings:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return settings


def run_with_runtime(body: Callable[[Runtime], Awaitable[T]], settings: Settings | None = None) -> T:
    from bot.app import build_runtime

    settings = settings or load_settings()

    async def runner() -> T:
        rt, dispose = build_runtime(settings)
        try:
            return await body(rt)
        finally:
            await dispose()  # type: ignore[misc]

    return asyncio.run(runner())
