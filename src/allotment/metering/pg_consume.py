"""Consume on PostgreSQL straight over asyncpg: autocommitted statements, no session.

Through SQLAlchemy's async session a consume costs about a millisecond of Python CPU (session,
greenlet hops, pool checkout with a ping, result handling), several times the cost of the SQL,
which caps one process near a thousand consumes a second on two cores. Here a pooled asyncpg
connection runs one statement in autocommit: the statement is the unit of work (atomic and
committed when it returns, like the session dependency's commit), so answers are committed ones.
Concurrent consumes share one such statement (``pg_consume_batch``); ``_CONSUME`` below settles
one consume alone, where a batch cannot (near the limit, or a key taken by another process).

Everything else (SQLite, the rolling 6-hour session, billing periods, tests whose sessions share
one rolled-back connection) takes the session path in ``service.consume``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from allotment.db.engine import async_url
from allotment.errors import Conflict
from allotment.metering import quota
from allotment.metering.pg_consume_batch import Coalescer, Request
from allotment.metering.quota import json_number
from allotment.metering.repository import CounterId
from allotment.metering.service import Decision, decision
from allotment.metering.windows import Window

# Check, count, record the outcome and note any threshold crossing, all in ONE statement run
# in autocommit, so it is atomic and committed by itself in a single round trip:
# - bump: the conditional UPDATE ... RETURNING (nothing when the limit would be passed);
# - outcome: the consume's row in the idempotency ledger. It has no ON CONFLICT on purpose: a key
#   that is taken (a retry, or a twin racing on the same key) aborts the whole statement with a
#   unique violation, which undoes the bump too; the caller then answers from the stored outcome;
# - crossing: the outbox row when this bump passed 80 % or 100 % of the limit (once per window:
#   the row is unique per tenant, feature, window and threshold).
# No counter row yet: the statement changes nothing and the caller creates the row and reruns it.
_CONSUME = """
WITH bump AS (
    UPDATE meter_counters SET used = used + $5::numeric, updated_at = $11::timestamptz
    WHERE tenant_id = $1::varchar AND feature_id = $2::varchar
      AND window_key = $3::varchar AND counter_key = $4::varchar
      AND used + $5::numeric <= $6::numeric
    RETURNING used
), stored AS (
    SELECT used FROM meter_counters
    WHERE tenant_id = $1::varchar AND feature_id = $2::varchar
      AND window_key = $3::varchar AND counter_key = $4::varchar
), outcome AS (
    INSERT INTO consumptions
        (tenant_id, idempotency_key, feature_id, amount, user_id, key,
         allowed, used, "limit", created_at)
    SELECT $1::varchar, $8::varchar, $2::varchar, $5::numeric, $9::varchar, $10::varchar,
           EXISTS (SELECT 1 FROM bump),
           COALESCE((SELECT used FROM bump), (SELECT used FROM stored)),
           $7::bigint, $11::timestamptz
    WHERE EXISTS (SELECT 1 FROM stored)
    RETURNING used
), crossing AS (
    INSERT INTO threshold_events
        (id, tenant_id, feature_id, window_key, counter_key, threshold, used, "limit",
         window_start, window_end, occurred_at)
    SELECT $12::varchar || '-' || mark.percent, $1::varchar, $2::varchar, $3::varchar,
           $4::varchar, mark.percent, bump.used, $7::bigint,
           $13::timestamptz, $14::timestamptz, $11::timestamptz
    FROM bump, (VALUES (80), (100)) AS mark(percent)
    WHERE $7::bigint > 0
      AND bump.used - $5::numeric < $7::bigint * mark.percent / 100.0
      AND bump.used >= $7::bigint * mark.percent / 100.0
    ON CONFLICT DO NOTHING
)
SELECT EXISTS (SELECT 1 FROM stored), (SELECT used FROM bump), (SELECT used FROM outcome)
"""

_ENSURE_COUNTER = """
INSERT INTO meter_counters
    (tenant_id, feature_id, window_key, counter_key, window_start, window_end, used, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 0, $7)
ON CONFLICT DO NOTHING
"""

_PRIOR = """
SELECT feature_id, amount, allowed, used, "limit" FROM consumptions
WHERE tenant_id = $1 AND idempotency_key = $2
"""

_NO_CAP = Decimal(10) ** 14


def asyncpg_dsn(url: str) -> str:
    return (
        make_url(async_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class PgConsumer:
    """Owns a small asyncpg pool (opened on first use; 16 connections serve two cores well and
    leave room under PostgreSQL's connection limit for several processes) and the coalescer
    that settles concurrent consumes in batches (see ``pg_consume_batch``)."""

    def __init__(self, url: str, *, max_size: int = 16) -> None:
        self.dsn = asyncpg_dsn(url)
        self.max_size = max_size
        self._pool: Any = None
        self._opening = asyncio.Lock()
        self.coalescer = Coalescer(self._acquire, self._settle_one, _replay_prior)

    async def pool(self) -> Any:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.dsn, min_size=0, max_size=self.max_size
                    )
        return self._pool

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[Any]:
        pool = await self.pool()
        async with pool.acquire() as conn:
            yield conn

    async def close(self) -> None:
        await self.coalescer.drain()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def consume(
        self,
        counter: CounterId,
        window: Window,
        *,
        amount: Decimal,
        limit: int,
        idempotency_key: str,
        user_id: str | None,
        key: str | None,
        now: datetime,
    ) -> Decision:
        """Settled with whatever other consumes are waiting; the answer is committed."""
        cap = _NO_CAP if limit == quota.UNLIMITED else Decimal(limit)
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        request = Request(
            counter, window, amount, limit, cap, idempotency_key, user_id, key, now, future
        )
        return await self.coalescer.submit(request)

    async def _settle_one(self, conn: Any, r: Request) -> tuple[Decision, bool]:
        """One consume, one statement committed on its own (see ``_CONSUME``); False with a
        retried key's stored outcome."""
        c = r.counter
        args = (
            *(c.tenant_id, c.feature_id, c.window_key, c.counter_key),
            *(r.amount, r.cap, r.limit, r.idempotency_key, r.user_id, r.key, r.now),
            # The outbox row's id, used only if this consume crosses a threshold.
            *("evt_" + secrets.token_hex(8), r.window.start, r.window.end),
        )
        try:
            exists, bumped, recorded = await conn.fetchrow(_CONSUME, *args)
            if not exists:
                # The window's first use creates its counter; a racing creator is fine.
                await conn.execute(_ENSURE_COUNTER, *args[:4], r.window.start, r.window.end, r.now)
                exists, bumped, recorded = await conn.fetchrow(_CONSUME, *args)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != "pk_consumptions":
                raise
            prior = await conn.fetchrow(_PRIOR, c.tenant_id, r.idempotency_key)
            if prior is None:  # pragma: no cover - the key was taken, so its row exists
                raise Conflict("This idempotency key is being used by another request.") from None
            return _replay_prior(r, tuple(prior)), False
        if recorded is None:  # pragma: no cover - the counter row exists by now
            raise RuntimeError("consume found no counter row after creating it")
        return decision(bumped is not None, r.limit, Decimal(recorded)), True


def _replay_prior(r: Request, prior: tuple[Any, ...]) -> Decision:
    """A retried key: its stored outcome, if it was the same consume (else a conflict)."""
    feature_id, prior_amount, allowed, used, limit = prior
    if feature_id != r.counter.feature_id or Decimal(prior_amount) != r.amount:
        raise Conflict(
            "This idempotency key was already used for a different consume.",
            {"featureId": feature_id, "amount": json_number(Decimal(prior_amount))},
        )
    return decision(bool(allowed), int(limit), Decimal(used))
