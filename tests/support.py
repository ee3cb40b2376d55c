"""Helpers shared by test modules (not fixtures)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from allotment.db.engine import make_engine


def reset_database(url: str) -> None:
    """Empty a PostgreSQL test database: the suite builds its own schema with Alembic."""

    async def run() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(run())
