"""Fixtures for the WeChat API client: the fake platform and client instances on a real database.

Each client gets its own engine, as a separate worker process would, so the token lease is
exercised across connection pools. The database is a SQLite file, or PostgreSQL when
``XINFANG_TEST_DATABASE_URL`` points at one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.clock import FakeClock
from bot.settings import Settings
from bot.simulator import FakeWeChat
from bot.wechat.api import WeChatAPI
from storage.base import Base
from storage.engine import make_engine, make_session_factory
from storage.models import AccessToken
from storage.repositories.tokens import SqlTokenStore
from tests import dbs


async def _pg_admin(base_url: str, sql: str) -> None:
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def _create_tables(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        # Only the token table: creating the whole schema per test costs most of the test's time.
        await conn.run_sync(Base.metadata.create_all, tables=[AccessToken.__table__])
    await engine.dispose()


@pytest.fixture(scope="session")
def _wechat_pg_url() -> Iterator[str | None]:
    """A throw-away PostgreSQL database next to the one in the environment variable, if any."""
    base = dbs.postgres_base_url()
    if base is None:
        yield None
        return
    name = f"xf_wechat_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_create_tables(url))
    yield url
    asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# Like the rest of the suite: SQLite by default, PostgreSQL when the environment names one
# (`make test` runs the whole suite once each way).
@pytest.fixture(params=["postgresql"] if dbs.postgres_base_url() else ["sqlite"])
def _db_choice(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    # Synchronous on purpose: the session fixture above runs asyncio.run() itself.
    if request.param == "sqlite":
        return dbs.sqlite_url(tmp_path)
    return str(request.getfixturevalue("_wechat_pg_url"))


@pytest.fixture
async def wechat_db_url(_db_choice: str) -> str:
    if _db_choice.startswith("sqlite"):
        await _create_tables(_db_choice)
    else:
        await _pg_admin(_db_choice, "TRUNCATE access_tokens")
    return _db_choice


@pytest.fixture
async def wx(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat.running(clock=clock) as platform:
        yield platform


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class SleepRecorder:
    """Backoff sleeps are recorded, not slept: the tests check the schedule without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


MakeAPI = Callable[..., Awaitable[WeChatAPI]]


@pytest.fixture
async def make_api(
    wechat_db_url: str, wx: FakeWeChat, http: aiohttp.ClientSession, clock: FakeClock
) -> AsyncIterator[MakeAPI]:
    """Builds a client as one more worker process would: own engine, same database and platform."""
    engines: list[AsyncEngine] = []

    async def build(*, timeout: float = 2.0, api_base: str | None = None, **kwargs: Any) -> WeChatAPI:
        settings = Settings(
            wechat_appid=wx.appid,
            wechat_secret=wx.secret,
            wechat_token="test-token",
            wechat_api_base=api_base or wx.api_base,
            api_timeout_seconds=timeout,
            database_url=wechat_db_url,
        )
        engine = make_engine(wechat_db_url)
        engines.append(engine)
        kwargs.setdefault("sleep", SleepRecorder())
        return WeChatAPI(settings, SqlTokenStore(make_session_factory(engine)), http, clock, **kwargs)

    yield build
    for engine in engines:
        await engine.dispose()
