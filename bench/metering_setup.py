"""Shared set-up of the metering benchmarks: the PostgreSQL bench database and an app over it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from allotment.access.policy import Role
from allotment.access.principals import Principal
from allotment.app import create_app
from allotment.db.migrate import upgrade
from allotment.db.session import Database
from allotment.entitlements import service as entitlements_service
from allotment.entitlements.schemas import EntitlementChange, TenantCreate
from allotment.kit.clock import utc_now
from allotment.settings import Settings

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/allotment_bench"
PLATFORM = Principal(role=Role.PLATFORM_ADMIN, display_name="bench")


def bench_url() -> str:
    return os.environ.get("ALLOTMENT_BENCH_DATABASE_URL", DEFAULT_URL)


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def ensure_database(url: str) -> None:
    """Create the bench database if it is missing, then bring its schema up to date."""
    parsed = make_url(url)
    name = parsed.database
    admin_dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    upgrade(url)


@dataclass
class BenchWorld:
    app: FastAPI
    db: Database
    tenant_ids: list[str]

    async def new_tenant(self, name: str, limits: dict[str, int]) -> str:
        state = self.app.state
        async with self.db.session(write=True) as session:
            tenant = await entitlements_service.create_tenant(
                session, state.invalidator, utc_now, TenantCreate(name=name, package_id="starter")
            )
        self.tenant_ids.append(tenant.id)
        if limits:
            changes = [
                EntitlementChange(feature_id=f, enabled=v != 0, value=v) for f, v in limits.items()
            ]
            async with self.db.session(write=True) as session:
                await entitlements_service.save_entitlements(
                    session, state.invalidator, utc_now, PLATFORM, tenant.id, changes, None
                )
        return tenant.id

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


@asynccontextmanager
async def bench_world() -> AsyncIterator[BenchWorld]:
    url = bench_url()
    await ensure_database(url)
    settings = Settings(database_url=url, webhook_delivery_enabled=False)
    db = Database(url)
    app = create_app(settings, db=db, listen=False)
    world = BenchWorld(app, db, [])
    try:
        async with app.router.lifespan_context(app):
            yield world
    finally:
        await world.cleanup()
        await db.dispose()
