"""In-process entry points for code running inside the service: ``check_ai_action``,
``consume`` and ``get_usage_summary``. Each call is its own unit of work (committed on return).

On PostgreSQL, consume on calendar, lifetime and per-key windows goes through ``PgConsumer``
(asyncpg directly); everything else runs ``service.consume`` in a database session.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from allotment.db.session import Database
from allotment.entitlements.cache import EntitlementCache
from allotment.kit.clock import Clock
from allotment.metering import quota, service
from allotment.metering.pg_consume import PgConsumer
from allotment.metering.repository import CounterId
from allotment.metering.service import Decision
from allotment.metering.windows import ResetPeriod, window_for

# Windows that need nothing but the clock and the tenant's zone (no stored state, no anchor).
_FAST_PERIODS = frozenset(
    {ResetPeriod.NONE, ResetPeriod.MONTH, ResetPeriod.WEEK, ResetPeriod.PER_KEY}
)


class Metering:
    def __init__(self, db: Database, cache: EntitlementCache, clock: Clock) -> None:
        self.db = db
        self.cache = cache
        self.clock = clock
        self.fast = None if db.is_sqlite else PgConsumer(db.url)

    async def close(self) -> None:
        if self.fast is not None:
            await self.fast.close()

    async def check_ai_action(
        self, tenant_id: str, action: str, *, key: str | None = None
    ) -> Decision:
        """Would one more use be allowed now? ``key``: for per-key features (a chat session)."""
        async with self.db.session() as session:
            return await service.check_action(
                session, self.cache, self.clock, tenant_id, action, key=key
            )

    async def consume(
        self,
        tenant_id: str,
        feature_id: str,
        amount: Decimal | int = 1,
        *,
        idempotency_key: str,
        user_id: str | None = None,
        key: str | None = None,
    ) -> Decision:
        amount = Decimal(amount)
        if self.fast is not None and not self.db.bound_to_connection:
            view = await service.tenant_view(self.cache, tenant_id)
            feature = service.metered_feature(await self.cache.catalog(), feature_id)
            counter_key = service.counter_key_for(feature, key)
            limit = service.limit_of(view, feature.id)
            period = feature.reset_period
            if period in _FAST_PERIODS and quota.allows(limit, Decimal(0), amount):
                assert period is not None
                now = self.clock()
                window = window_for(period, now, time_zone=view.time_zone)
                return await self.fast.consume(
                    CounterId(tenant_id, feature.id, window.key, counter_key),
                    window,
                    amount=amount,
                    limit=limit,
                    idempotency_key=idempotency_key,
                    user_id=user_id,
                    key=key,
                    now=now,
                )
        async with self.db.session(write=True) as session:
            return await service.consume(
                session,
                self.cache,
                self.clock,
                tenant_id,
                feature_id,
                amount=amount,
                idempotency_key=idempotency_key,
                user_id=user_id,
                key=key,
            )

    async def get_usage_summary(self, tenant_id: str) -> dict[str, Any]:
        async with self.db.session() as session:
            lines = await service.usage_summary(session, self.cache, self.clock, tenant_id)
        return {"tenantId": tenant_id, "features": [line.as_json() for line in lines]}
