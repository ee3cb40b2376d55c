"""Shared fixtures: the real schema (Alembic), one outer transaction per test, rolled back.

The suite runs on SQLite by default and on PostgreSQL when ``ALLOTMENT_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from allotment.app import create_app
from allotment.db.migrate import upgrade
from allotment.db.session import Database
from allotment.kit.clock import FrozenClock
from allotment.settings import Settings
from tests.support import create_scratch_database, drop_scratch_database, reset_database

ADMIN_TOKEN = "test-admin-token"
TEST_DATABASE_URL = os.environ.get("ALLOTMENT_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_DATABASE_URL:
        reset_database(TEST_DATABASE_URL)
        upgrade(TEST_DATABASE_URL)
        yield TEST_DATABASE_URL
        return
    path: Path = tmp_path_factory.mktemp("db") / "allotment.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    yield url


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test, apart from the suite's own; data here commits."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = create_scratch_database(TEST_DATABASE_URL, "scratch")
    yield url
    drop_scratch_database(url)


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgres")


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    """The shared database, with every session of this test inside one rolled-back transaction."""
    async with database.engine.connect() as conn:
        outer = await conn.begin()
        database.bind_to_connection(conn)
        try:
            yield database
        finally:
            database.unbind()
            await outer.rollback()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 15, 12, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, bootstrap_token=ADMIN_TOKEN)


@pytest.fixture
async def app(settings: Settings, db: Database, clock: FrozenClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, db=db, clock=clock, listen=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
