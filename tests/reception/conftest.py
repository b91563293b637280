"""Fixtures for the timed-work tests: a runtime on the test database and a seeded office."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.runtime import Runtime
from tests.jobs.world import Office, runtime, seed_office


@pytest.fixture
async def rt(db_url: str, clock: FakeClock) -> AsyncIterator[Runtime]:
    async with runtime(db_url, clock) as rt:
        yield rt
    # Job and handler exceptions are bugs even when the scheduler survives them.
    assert not rt.handler_errors, rt.handler_errors


@pytest.fixture
async def office(rt: Runtime) -> Office:
    return await seed_office(rt)
