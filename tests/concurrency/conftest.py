"""Concurrency tests need PostgreSQL and real commits.

They skip (loudly) only on a developer machine without ``ALLOTMENT_TEST_DATABASE_URL``; under CI
(env ``CI`` set) a missing database is an error, never a skip. Their data is committed, not rolled
back, so each test registers the tenants it made and ``committed`` deletes them afterwards.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from allotment.app import create_app
from allotment.db.session import Database
from allotment.settings import Settings
from tests.conftest import ADMIN_TOKEN, TEST_DATABASE_URL

NEEDS_PG = (
    "SKIPPED CONCURRENCY TESTS: set ALLOTMENT_TEST_DATABASE_URL to a PostgreSQL database "
    "(e.g. postgresql://postgres@127.0.0.1:5432/allotment_test) to run them; CI always does."
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/concurrency/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_url() -> str:
    if not TEST_DATABASE_URL or not TEST_DATABASE_URL.startswith("postgres"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the concurrency tests: set ALLOTMENT_TEST_DATABASE_URL")
        pytest.skip(NEEDS_PG)
    return TEST_DATABASE_URL


@dataclass
class Committed:
    """Committed test data and how to remove it."""

    db: Database
    tenant_ids: list[str] = field(default_factory=list)

    async def cleanup(self) -> None:
        if not self.tenant_ids:
            return
        async with self.db.session(write=True) as session:
            params = {"ids": self.tenant_ids}
            for table in ("usage_events", "tenant_overrides"):
                await session.execute(
                    text(f"DELETE FROM {table} WHERE tenant_id = ANY(:ids)"), params
                )
            await session.execute(text("DELETE FROM tenants WHERE id = ANY(:ids)"), params)


@pytest.fixture
async def committed(pg_url: str, database_url: str) -> AsyncIterator[Committed]:
    assert database_url == pg_url  # the session fixture has built the schema there
    db = Database(pg_url)
    data = Committed(db)
    try:
        yield data
    finally:
        await data.cleanup()
        await db.dispose()


@pytest.fixture
async def live_app(committed: Committed) -> AsyncIterator[FastAPI]:
    """The app over committed sessions: every request really commits."""
    settings = Settings(
        database_url=committed.db.url, bootstrap_token=ADMIN_TOKEN, webhook_delivery_enabled=False
    )
    application = create_app(settings, db=committed.db, listen=True)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def live_client(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
