"""Upgrade, downgrade, upgrade again; and the models match the migrations (no drift)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from allotment.db.base import import_all_models
from allotment.db.engine import make_engine
from allotment.db.migrate import downgrade, upgrade


def _inspect(url: str, fn: Any) -> Any:
    async def run() -> Any:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names()) - {"alembic_version"}


def _drift(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, import_all_models()))


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    upgrade(scratch_url)
    first = _inspect(scratch_url, _tables)
    assert {"features", "packages", "plan_entitlements", "tenants", "api_keys"} <= first
    downgrade(scratch_url, "base")
    assert _inspect(scratch_url, _tables) == set()
    upgrade(scratch_url)
    assert _inspect(scratch_url, _tables) == first


def test_models_match_migrations(scratch_url: str) -> None:
    upgrade(scratch_url)
    assert _inspect(scratch_url, _drift) == []


def test_seed_is_in_the_migration_and_not_duplicated_by_start_up(scratch_url: str) -> None:
    from allotment.catalog import seed_data
    from allotment.catalog.service import ensure_seed
    from allotment.db.session import Database
    from allotment.kit.clock import utc_now

    upgrade(scratch_url)

    async def start_twice() -> list[dict[str, int]]:
        db = Database(scratch_url)
        counts = []
        for _ in range(2):
            async with db.session(write=True) as session:
                counts.append(await ensure_seed(session, utc_now))
        await db.dispose()
        return counts

    assert asyncio.run(start_twice()) == [{"packages": 0, "features": 0, "cells": 0}] * 2

    def count(conn: Connection) -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("packages", "features", "plan_entitlements")
        )

    assert _inspect(scratch_url, count) == (
        len(seed_data.PACKAGES),
        len(seed_data.FEATURES),
        len(seed_data.PLAN_CELLS),
    )
