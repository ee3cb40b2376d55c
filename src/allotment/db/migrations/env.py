from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from allotment.db.base import import_all_models
from allotment.db.engine import is_sqlite, make_engine

config = context.config
target_metadata = import_all_models()


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(config.get_main_option("sqlalchemy.url") or ""),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=None)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
asyncio.run(_run())
