"""The WeChat access-token store in the ``access_tokens`` table (``bot.wechat.tokens.TokenStore``).

The lease is one atomic ``UPDATE ... WHERE lease is free``, the same on SQLite and PostgreSQL. Each
call is its own short transaction: no transaction stays open while a token is fetched over HTTP.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.engine import SessionFactory
from storage.models.tokens import AccessToken


class SqlTokenStore:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def ensure(self, appid: str) -> None:
        async with self._sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            stmt = insert(AccessToken).values(appid=appid, refreshed_count=0)
            await session.execute(stmt.on_conflict_do_nothing(index_elements=["appid"]))

    async def read(self, appid: str) -> AccessToken:
        async with self._sessions() as session:
            row = (await session.execute(select(AccessToken).where(AccessToken.appid == appid))).scalar_one()
            await session.commit()
            return row

    async def take_lease(self, appid: str, holder: str, now: datetime, until: datetime) -> bool:
        async with self._sessions() as session, session.begin():
            result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
                update(AccessToken)
                .where(
                    AccessToken.appid == appid,
                    (AccessToken.lease_until.is_(None)) | (AccessToken.lease_until < now),
                )
                .values(lease_until=until, lease_holder=holder)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    async def release_lease(self, appid: str, holder: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(AccessToken)
                .where(AccessToken.appid == appid, AccessToken.lease_holder == holder)
                .values(lease_until=None, lease_holder=None)
                .execution_options(synchronize_session=False)
            )

    async def save(self, appid: str, token: str, expires_at: datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(AccessToken)
                .where(AccessToken.appid == appid)
                .values(token=token, expires_at=expires_at, lease_until=None, lease_holder=None,
                        refreshed_count=AccessToken.refreshed_count + 1)
                .execution_options(synchronize_session=False)
            )

    async def peek(self, appid: str) -> AccessToken | None:
        async with self._sessions() as session:
            return await session.get(AccessToken, appid)
