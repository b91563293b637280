"""What every CLI command shares: loading settings and running an async body with a runtime."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from bot import logs
from bot.runtime import Runtime
from bot.settings import Settings

T = TypeVar("T")


def load_settings() -> Settings:
    """The settings, with logging set up; a misspelt ``XINFANG_*`` variable is a warning naming the
    closest real one, an unreadable secret file or an invalid value stops with a clear message."""
    from pydantic import ValidationError

    from bot.settings_sources import SettingsFileError, unknown_variable_warnings

    try:
        settings = Settings()
    except (SettingsFileError, ValidationError) as exc:
        raise click.ClickException(f"配置有误：{exc}") from None
    logs.configure(settings.log_level, settings.log_format)
    for warning in unknown_variable_warnings(os.environ, Settings):
        logging.getLogger("bot.settings").warning("%s", warning)
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
