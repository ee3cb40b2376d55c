from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from allotment.db.engine import is_sqlite, make_engine

AfterCommit = Callable[[], None]


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run ``hook`` once this session's transaction has committed (never on rollback)."""
    session.info.setdefault("after_commit", []).append(hook)


class Database:
    """Owns the engine and hands out unit-of-work sessions that commit on success."""

    def __init__(self, url: str, *, echo: bool = False, engine: AsyncEngine | None = None):
        self.url = url
        self.is_sqlite = is_sqlite(url)
        self.engine = engine or make_engine(url, echo=echo)
        self._bind: AsyncEngine | AsyncConnection = self.engine
        self._sessions = self._make_sessionmaker(self._bind)

    @staticmethod
    def _make_sessionmaker(
        bind: AsyncEngine | AsyncConnection, **kw: Any
    ) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(bind, expire_on_commit=False, autoflush=False, **kw)

    def bind_to_connection(self, connection: AsyncConnection) -> None:
        """Tests: every session joins ``connection``'s outer transaction through savepoints."""
        self._bind = connection
        self._sessions = self._make_sessionmaker(
            connection, join_transaction_mode="create_savepoint"
        )

    @property
    def bound_to_connection(self) -> bool:
        """True while tests run every session inside one outer connection's transaction."""
        return self._bind is not self.engine

    def unbind(self) -> None:
        self._bind = self.engine
        self._sessions = self._make_sessionmaker(self.engine)

    @asynccontextmanager
    async def session(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends, rolls back if it raises.

        ``write=True`` takes SQLite's write lock at BEGIN, so that writers queue instead of
        failing with "database is locked" when they upgrade from a read.
        """
        async with self._sessions() as session:
            if write and self.is_sqlite and self._bind is self.engine:
                await session.connection(execution_options={"sqlite_immediate": True})
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                session.info.pop("after_commit", None)
                raise
            for hook in session.info.pop("after_commit", []):
                hook()

    async def dispose(self) -> None:
        await self.engine.dispose()
