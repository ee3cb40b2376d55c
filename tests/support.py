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


def _server_url(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    return base, name


async def _admin(url: str, sql: str) -> None:
    base, _ = _server_url(url)
    engine = make_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def create_scratch_database(url: str, suffix: str) -> str:
    base, name = _server_url(url)
    scratch = f"{name}_{suffix}"
    asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    asyncio.run(_admin(url, f'CREATE DATABASE "{scratch}"'))
    return f"{base}/{scratch}"


def drop_scratch_database(url: str) -> None:
    _, name = _server_url(url)
    asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
