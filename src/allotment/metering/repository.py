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

from sqlalchemy import BigInteger, Table, and_, bindparam, case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.db.base import UTCDateTime
from allotment.metering.models import Consumption, MeterCounter, Quantity
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


# The hot path runs prebuilt Core statements with bound parameters on the session's connection:
# building an expression per call and the ORM's bulk-UPDATE bookkeeping cost more than the SQL.
_counters: Table = MeterCounter.__table__  # type: ignore[assignment]
_ledger: Table = Consumption.__table__  # type: ignore[assignment]
_c = _counters.c
_amount = bindparam("amount", type_=Quantity)
_limit = bindparam("limit", type_=BigInteger())
_now = bindparam("now", type_=UTCDateTime())
_session_end = bindparam("session_end", type_=UTCDateTime())
_IS_COUNTER = and_(
    _c.tenant_id == bindparam("p_tenant"),
    _c.feature_id == bindparam("p_feature"),
    _c.window_key == bindparam("p_window"),
    _c.counter_key == bindparam("p_counter"),
)

_INCREMENT = (
    update(_counters)
    .where(_IS_COUNTER)
    .values(used=_c.used + _amount, updated_at=_now)
    .returning(_c.used)
)
_INCREMENT_CAPPED = _INCREMENT.where(_c.used + _amount <= _limit)

# A stored 6-hour session that has closed is reopened at :now by the same statement.
_closed = _c.window_end <= _now
_session_used = case((_closed, _amount), else_=_c.used + _amount)
_INCREMENT_SESSION = (
    update(_counters)
    .where(_IS_COUNTER)
    .values(
        used=_session_used,
        window_start=case((_closed, _now), else_=_c.window_start),
        window_end=case((_closed, _session_end), else_=_c.window_end),
        updated_at=_now,
    )
    .returning(_c.used, _c.window_start, _c.window_end)
)
_INCREMENT_SESSION_CAPPED = _INCREMENT_SESSION.where(_session_used <= _limit)

_READ_COUNTER = select(_c.used, _c.window_start, _c.window_end).where(_IS_COUNTER)

_RECORD_OUTCOME = (
    update(_ledger)
    .where(
        _ledger.c.tenant_id == bindparam("p_tenant"),
        _ledger.c.idempotency_key == bindparam("p_idem"),
    )
    .values(allowed=bindparam("p_allowed"), used=bindparam("p_used", type_=Quantity), limit=_limit)
)

_BY_DIALECT: dict[tuple[str, str], Any] = {}


def _dialect_statement(session: AsyncSession, name: str) -> Any:
    """An INSERT ... ON CONFLICT DO NOTHING, built once per dialect."""
    dialect = dialect_name(session)
    stmt = _BY_DIALECT.get((dialect, name))
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        if name == "ensure_counter":
            stmt = (
                insert(_counters)
                .values(
                    tenant_id=bindparam("p_tenant"),
                    feature_id=bindparam("p_feature"),
                    window_key=bindparam("p_window"),
                    counter_key=bindparam("p_counter"),
                    window_start=bindparam("p_start", type_=UTCDateTime()),
                    window_end=bindparam("p_end", type_=UTCDateTime()),
                    used=0,
                    updated_at=_now,
                )
                .on_conflict_do_nothing()
            )
        else:
            stmt = (
                insert(_ledger)
                .values(
                    tenant_id=bindparam("p_tenant"),
                    idempotency_key=bindparam("p_idem"),
                    feature_id=bindparam("p_feature"),
                    amount=_amount,
                    user_id=bindparam("p_user"),
                    key=bindparam("p_key"),
                    allowed=False,
                    used=0,
                    limit=0,
                    created_at=_now,
                )
                .on_conflict_do_nothing()
                .returning(_ledger.c.tenant_id)
            )
        _BY_DIALECT[(dialect, name)] = stmt
    return stmt


def _params(counter: CounterId, **extra: Any) -> dict[str, Any]:
    return {
        "p_tenant": counter.tenant_id,
        "p_feature": counter.feature_id,
        "p_window": counter.window_key,
        "p_counter": counter.counter_key,
        **extra,
    }


async def _run(session: AsyncSession, stmt: Any, params: dict[str, Any]) -> Any:
    conn = await session.connection()
    return await conn.execute(stmt, params)


async def ensure_counter(
    session: AsyncSession,
    counter: CounterId,
    window_start: datetime | None,
    window_end: datetime | None,
    now: datetime,
) -> None:
    stmt = _dialect_statement(session, "ensure_counter")
    params = _params(counter, p_start=window_start, p_end=window_end, now=now)
    await _run(session, stmt, params)


async def increment(
    session: AsyncSession,
    counter: CounterId,
    amount: Decimal,
    limit: int | None,
    now: datetime,
) -> Decimal | None:
    """Add ``amount`` if the total stays within ``limit`` (None: no cap). The new total, or None
    when it would not fit or the counter row does not exist yet."""
    stmt = _INCREMENT if limit is None else _INCREMENT_CAPPED
    result = await _run(session, stmt, _params(counter, amount=amount, limit=limit, now=now))
    used = result.scalar_one_or_none()
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
    stmt = _INCREMENT_SESSION if limit is None else _INCREMENT_SESSION_CAPPED
    params = _params(counter, amount=amount, limit=limit, now=now, session_end=now + SESSION_LENGTH)
    row = (await _run(session, stmt, params)).one_or_none()
    if row is None:
        return None
    return CounterState(Decimal(row[0]), row[1], row[2])


async def read_counter(session: AsyncSession, counter: CounterId) -> CounterState | None:
    row = (await _run(session, _READ_COUNTER, _params(counter))).one_or_none()
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
    params = {
        "p_tenant": tenant_id,
        "p_idem": idempotency_key,
        "p_feature": feature_id,
        "amount": amount,
        "p_user": user_id,
        "p_key": key,
        "now": now,
    }
    result = await _run(session, _dialect_statement(session, "claim"), params)
    return result.scalar_one_or_none() is not None


async def record_outcome(
    session: AsyncSession,
    tenant_id: str,
    idempotency_key: str,
    *,
    allowed: bool,
    used: Decimal,
    limit: int,
) -> None:
    params = {
        "p_tenant": tenant_id,
        "p_idem": idempotency_key,
        "p_allowed": allowed,
        "p_used": used,
        "limit": limit,
    }
    await _run(session, _RECORD_OUTCOME, params)


async def get_consumption(
    session: AsyncSession, tenant_id: str, idempotency_key: str
) -> Consumption | None:
    return await session.get(Consumption, (tenant_id, idempotency_key))
