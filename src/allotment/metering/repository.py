"""Queries for counters and the consume ledger. Every change to ``used`` is one atomic statement.

Consumption never reads and then writes: ``increment`` is a conditional
``UPDATE ... SET used = used + :n WHERE ... AND used + :n <= :limit RETURNING used``, which
PostgreSQL re-evaluates against the latest row version when two writers race, and which SQLite
runs inside ``BEGIN IMMEDIATE`` (the write session), so the limit holds under any concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.metering.models import Consumption, MeterCounter
from allotment.metering.windows import SESSION_LENGTH


@dataclass(frozen=True, slots=True)
class CounterId:
    tenant_id: str
    feature_id: str
    window_key: str
    counter_key: str = ""


@dataclass(frozen=True, slots=True)
class CounterState:
    used: Decimal
    window_start: datetime | None
    window_end: datetime | None


def dialect_name(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None
    return str(bind.dialect.name)


def upsert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return pg_insert(table) if dialect_name(session) == "postgresql" else sqlite_insert(table)


def _is(counter: CounterId) -> ColumnElement[bool]:
    return and_(
        MeterCounter.tenant_id == counter.tenant_id,
        MeterCounter.feature_id == counter.feature_id,
        MeterCounter.window_key == counter.window_key,
        MeterCounter.counter_key == counter.counter_key,
    )


async def ensure_counter(
    session: AsyncSession,
    counter: CounterId,
    window_start: datetime | None,
    window_end: datetime | None,
    now: datetime,
) -> None:
    stmt = (
        upsert(session, MeterCounter)
        .values(
            tenant_id=counter.tenant_id,
            feature_id=counter.feature_id,
            window_key=counter.window_key,
            counter_key=counter.counter_key,
            window_start=window_start,
            window_end=window_end,
            used=Decimal(0),
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)


async def increment(
    session: AsyncSession,
    counter: CounterId,
    amount: Decimal,
    limit: int | None,
    now: datetime,
) -> Decimal | None:
    """Add ``amount`` if the total stays within ``limit`` (None: no cap). The new total, or None
    when it would not fit or the counter row does not exist yet."""
    stmt = update(MeterCounter).where(_is(counter))
    if limit is not None:
        stmt = stmt.where(MeterCounter.used + amount <= limit)
    stmt = stmt.values(used=MeterCounter.used + amount, updated_at=now).returning(MeterCounter.used)
    used = (await session.execute(stmt)).scalar_one_or_none()
    return None if used is None else Decimal(used)


async def increment_session(
    session: AsyncSession,
    counter: CounterId,
    amount: Decimal,
    limit: int | None,
    now: datetime,
) -> CounterState | None:
    """Like ``increment`` for a rolling 6-hour session: when the stored session has closed, the
    same statement opens a new one at ``now`` and counts ``amount`` in it."""
    closed = MeterCounter.window_end <= now
    new_used = case((closed, amount), else_=MeterCounter.used + amount)
    stmt = update(MeterCounter).where(_is(counter))
    if limit is not None:
        stmt = stmt.where(new_used <= limit)
    stmt = stmt.values(
        used=new_used,
        window_start=case((closed, now), else_=MeterCounter.window_start),
        window_end=case((closed, now + SESSION_LENGTH), else_=MeterCounter.window_end),
        updated_at=now,
    ).returning(MeterCounter.used, MeterCounter.window_start, MeterCounter.window_end)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    return CounterState(Decimal(row[0]), row[1], row[2])


async def read_counter(session: AsyncSession, counter: CounterId) -> CounterState | None:
    stmt = select(MeterCounter.used, MeterCounter.window_start, MeterCounter.window_end).where(
        _is(counter)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    return CounterState(Decimal(row[0]), row[1], row[2])


async def read_counters(
    session: AsyncSession, tenant_id: str, window_keys: set[str]
) -> dict[tuple[str, str, str], CounterState]:
    """The tenant's counters in the given windows, by (feature, window key, counter key)."""
    stmt = select(MeterCounter).where(
        MeterCounter.tenant_id == tenant_id, MeterCounter.window_key.in_(window_keys)
    )
    rows = (await session.execute(stmt)).scalars().all()
    return {
        (r.feature_id, r.window_key, r.counter_key): CounterState(
            Decimal(r.used), r.window_start, r.window_end
        )
        for r in rows
    }


async def latest_keyed_counter(
    session: AsyncSession, tenant_id: str, feature_id: str, window_key: str
) -> tuple[str, CounterState] | None:
    """The most recently used key's counter of a per-key feature."""
    stmt = (
        select(MeterCounter)
        .where(
            MeterCounter.tenant_id == tenant_id,
            MeterCounter.feature_id == feature_id,
            MeterCounter.window_key == window_key,
        )
        .order_by(MeterCounter.updated_at.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        return None
    return row.counter_key, CounterState(Decimal(row.used), row.window_start, row.window_end)


# -- the consume ledger ---------------------------------------------------------------------


async def claim_consumption(
    session: AsyncSession,
    *,
    tenant_id: str,
    idempotency_key: str,
    feature_id: str,
    amount: Decimal,
    user_id: str | None,
    key: str | None,
    now: datetime,
) -> bool:
    """Take the idempotency key for this consume. False: an earlier request holds it (a racing
    twin waits here on the unique index until the first commits, then sees it)."""
    stmt = (
        upsert(session, Consumption)
        .values(
            tenant_id=tenant_id,
            idempotency_key=idempotency_key,
            feature_id=feature_id,
            amount=amount,
            user_id=user_id,
            key=key,
            allowed=False,
            used=Decimal(0),
            limit=0,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Consumption.tenant_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def record_outcome(
    session: AsyncSession,
    tenant_id: str,
    idempotency_key: str,
    *,
    allowed: bool,
    used: Decimal,
    limit: int,
) -> None:
    stmt = (
        update(Consumption)
        .where(Consumption.tenant_id == tenant_id, Consumption.idempotency_key == idempotency_key)
        .values(allowed=allowed, used=used, limit=limit)
    )
    await session.execute(stmt)


async def get_consumption(
    session: AsyncSession, tenant_id: str, idempotency_key: str
) -> Consumption | None:
    return await session.get(Consumption, (tenant_id, idempotency_key))
