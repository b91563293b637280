"""What every CLI command shares: loading settings and running an async body with a runtime."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot import logs
from bot.runtime import Runtime
from bot.settings import Settings

T = TypeVar("T")


def load_settings() -> Settings:
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
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
