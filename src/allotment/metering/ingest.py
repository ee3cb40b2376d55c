"""Usage event ingest: a batch of up to 1,000 events, their counters, in one transaction.

The work per batch is fixed, not per event: one multi-row INSERT ... ON CONFLICT DO NOTHING
RETURNING for the events (a retried event is a conflict, counted as a duplicate), then the
increments summed in memory per (tenant, feature, window, key) and one UPSERT per counter, in a
fixed order so that concurrent batches never deadlock. Events record use that already happened,
so they are never refused for being over a limit; they do move counters past thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, text
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import service as access_service
from allotment.access.principals import Principal
from allotment.catalog.snapshot import FeatureDef
from allotment.entitlements.cache import EntitlementCache, TenantView
from allotment.metering import quota
from allotment.metering.intake import EventIn, Rejection, parse_events
from allotment.metering.models import MeterCounter, UsageEvent
from allotment.metering.repository import CounterId, dialect_name, upsert
from allotment.metering.service import limit_of
from allotment.metering.webhooks_outbox import Crossing, record_crossings
from allotment.metering.windows import ResetPeriod, Window, is_metered, window_for

MAX_BATCH = 1000

# Sent straight to asyncpg (see ``_insert_events_pg``), hence $n placeholders. $8 is the
# batch's arrival; an event without a moment of its own (NULL) happened then.
_PG_INSERT_EVENTS = """
    INSERT INTO usage_events
        (tenant_id, feature_id, quantity, user_id, key, occurred_at, received_at, idempotency_key)
    SELECT t, f, q::numeric, u, k, coalesce(o, $8), $8, i
    FROM unnest(
        $1::varchar[], $2::varchar[], $3::text[], $4::varchar[], $5::varchar[],
        $6::timestamptz[], $7::varchar[]
    ) AS x(t, f, q, u, k, o, i)
    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
    RETURNING tenant_id, idempotency_key
"""


# All of a batch's counters in one statement; a 6-hour session that closed before the batch's
# first event reopens there, other windows never end before their own start, so for them the
# CASEs are plain addition.
_PG_UPSERT_COUNTERS = text(
    """
    INSERT INTO meter_counters AS c
        (tenant_id, feature_id, window_key, counter_key, window_start, window_end, used, updated_at)
    SELECT t, f, w, k, s, e, n, :now
    FROM unnest(
        CAST(:t AS VARCHAR[]), CAST(:f AS VARCHAR[]), CAST(:w AS VARCHAR[]),
        CAST(:k AS VARCHAR[]), CAST(:s AS TIMESTAMPTZ[]), CAST(:e AS TIMESTAMPTZ[]),
        CAST(:n AS NUMERIC[])
    ) AS x(t, f, w, k, s, e, n)
    ON CONFLICT (tenant_id, feature_id, window_key, counter_key) DO UPDATE SET
        used = CASE WHEN c.window_end <= excluded.window_start
                    THEN excluded.used ELSE c.used + excluded.used END,
        window_start = CASE WHEN c.window_end <= excluded.window_start
                            THEN excluded.window_start ELSE c.window_start END,
        window_end = CASE WHEN c.window_end <= excluded.window_start
                          THEN excluded.window_end ELSE c.window_end END,
        updated_at = excluded.updated_at
    RETURNING tenant_id, feature_id, window_key, counter_key, used, window_start, window_end
    """
)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": len(self.rejections),
            "rejections": [r.as_json() for r in sorted(self.rejections, key=lambda r: r.index)],
        }


@dataclass(slots=True)
class _Increment:
    amount: Decimal
    window: Window
    limit: int


class _Resolver:
    """Tenants, features and anchors for one batch, each looked up once."""

    def __init__(
        self, session: AsyncSession, cache: EntitlementCache, principal: Principal
    ) -> None:
        self.session = session
        self.cache = cache
        self.principal = principal
        self.views: dict[str, TenantView | None] = {}
        self.anchors: dict[str, datetime | None] = {}
        # The last window per (period, zone, anchor): events of a batch mostly share one.
        self.windows: dict[tuple[str, str, datetime | None], Window] = {}

    def window(self, period: str, at: datetime, time_zone: str, anchor: datetime | None) -> Window:
        if period == ResetPeriod.SESSION_6H:
            return window_for(period, at)
        memo = (period, time_zone, anchor)
        window = self.windows.get(memo)
        if window is None or not window.contains(at):
            window = window_for(period, at, time_zone=time_zone, anchor=anchor)
            self.windows[memo] = window
        return window

    async def view(self, tenant_id: str) -> TenantView | None:
        if tenant_id not in self.views:
            # Not yours and not there read the same, as everywhere else.
            allowed = self.principal.may_see_tenant(tenant_id)
            self.views[tenant_id] = await self.cache.tenant(tenant_id) if allowed else None
        return self.views[tenant_id]

    async def anchor(self, tenant_id: str) -> datetime | None:
        if tenant_id not in self.anchors:
            tenant = await access_service.load_tenant(self.session, tenant_id)
            self.anchors[tenant_id] = tenant.created_at if tenant else None
        return self.anchors[tenant_id]


async def ingest(
    session: AsyncSession,
    cache: EntitlementCache,
    now: datetime,
    principal: Principal,
    raw_events: list[Any],
    *,
    max_lateness: timedelta,
    max_future: timedelta,
) -> IngestResult:
    result = IngestResult()
    catalog = await cache.catalog()
    resolver = _Resolver(session, cache, principal)
    valid: list[tuple[EventIn, FeatureDef, Window, TenantView]] = []
    seen: set[tuple[str, str]] = set()
    # Where an event goes depends only on its tenant, feature, moment and whether it has a key:
    # events of a batch mostly share all four, so each combination is placed once.
    placements: dict[tuple[str, str, datetime, bool], _Placement] = {}
    for parsed in parse_events(raw_events, now, max_lateness=max_lateness, max_future=max_future):
        if isinstance(parsed, Rejection):
            result.rejections.append(parsed)
            continue
        memo = (parsed.tenant_id, parsed.feature_id, parsed.occurred_at, parsed.key is None)
        placement = placements.get(memo)
        if placement is None:
            placement = await _place(resolver, catalog.features, parsed)
            placements[memo] = placement
        reason, feature, window, view = placement
        if reason is not None:
            result.rejections.append(Rejection(parsed.index, reason, parsed.idempotency_key))
            continue
        assert feature is not None and window is not None and view is not None
        identity = (parsed.tenant_id, parsed.idempotency_key)
        if identity in seen:
            result.duplicates += 1
            continue
        seen.add(identity)
        valid.append((parsed, feature, window, view))
    if not valid:
        return result

    inserted = await _insert_events(session, [v[0] for v in valid], now)
    result.accepted = len(inserted)
    result.duplicates += len(valid) - len(inserted)

    everything = len(inserted) == len(valid)  # the usual case: no duplicates
    steps: dict[tuple[str, str, str, str], _Increment] = {}
    for event, feature, window, view in valid:
        if not everything and (event.tenant_id, event.idempotency_key) not in inserted:
            continue
        per_key = feature.reset_period == ResetPeriod.PER_KEY
        counter = (event.tenant_id, feature.id, window.key, (event.key or "") if per_key else "")
        step = steps.get(counter)
        if step is None:
            steps[counter] = _Increment(event.quantity, window, limit_of(view, feature.id))
        else:
            step.amount += event.quantity
    increments = {CounterId(*counter): step for counter, step in steps.items()}
    crossings = await _apply_increments(session, increments, now)
    if crossings:
        await record_crossings(session, now, crossings)
    return result


_Placement = tuple[str | None, FeatureDef | None, Window | None, TenantView | None]


async def _place(
    resolver: _Resolver, features: dict[str, FeatureDef], event: EventIn
) -> _Placement:
    view = await resolver.view(event.tenant_id)
    if view is None:
        return access_service.TENANT_NOT_FOUND, None, None, None
    feature = features.get(event.feature_id)
    if feature is None:
        return f"unknown feature '{event.feature_id}'", None, None, None
    if not feature.is_number or not is_metered(feature.reset_period):
        return f"feature '{event.feature_id}' is not metered", None, None, None
    assert feature.reset_period is not None
    if feature.reset_period == ResetPeriod.PER_KEY and not event.key:
        return f"feature '{event.feature_id}' counts per key: key is required", None, None, None
    anchor = None
    if feature.reset_period == ResetPeriod.BILLING_PERIOD:
        anchor = await resolver.anchor(event.tenant_id)
    window = resolver.window(feature.reset_period, event.occurred_at, view.time_zone, anchor)
    return None, feature, window, view


async def _insert_events(
    session: AsyncSession, events: list[EventIn], now: datetime
) -> set[tuple[str, str]]:
    if dialect_name(session) == "postgresql":
        return await _insert_events_pg(session, events, now)
    else:
        stmt = (
            upsert(session, UsageEvent)
            .values(
                [
                    {
                        "tenant_id": e.tenant_id,
                        "feature_id": e.feature_id,
                        "quantity": e.quantity,
                        "user_id": e.user_id,
                        "key": e.key,
                        "occurred_at": e.occurred_at,
                        "received_at": now,
                        "idempotency_key": e.idempotency_key,
                    }
                    for e in events
                ]
            )
            .on_conflict_do_nothing()
            .returning(UsageEvent.tenant_id, UsageEvent.idempotency_key)
        )
        rows = (await session.execute(stmt)).all()
    return {(r[0], r[1]) for r in rows}


def _crossings(
    counter: CounterId, step: _Increment, used: Decimal, start: Any, end: Any
) -> list[Crossing]:
    return [
        Crossing(
            counter.tenant_id,
            counter.feature_id,
            Window(counter.window_key, start, end),
            counter.counter_key,
            mark,
            used,
            step.limit,
        )
        for mark in quota.crossed(step.limit, used - step.amount, used)
    ]


async def _insert_events_pg(
    session: AsyncSession, events: list[EventIn], now: datetime
) -> set[tuple[str, str]]:
    """One INSERT for the whole batch, with the columns as arrays.

    It goes to the asyncpg connection under the session, inside the session's transaction:
    SQLAlchemy's per-row result handling costs about a third of the statement's time here.
    """
    conn = await session.connection()
    driver: Any = (await conn.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():
        await conn.execute(text("SELECT 1"))  # makes SQLAlchemy send its BEGIN first
    if not driver.is_in_transaction():  # pragma: no cover - would break atomicity
        raise RuntimeError("event ingest must run inside the session's transaction")
    # Quantities go as text and events that happened "now" without a moment: asyncpg encodes
    # numeric and timestamptz array elements several times slower than strings or NULLs.
    rows = await driver.fetch(
        _PG_INSERT_EVENTS,
        [e.tenant_id for e in events],
        [e.feature_id for e in events],
        [str(e.quantity) for e in events],
        [e.user_id for e in events],
        [e.key for e in events],
        [None if e.occurred_at is now else e.occurred_at for e in events],
        [e.idempotency_key for e in events],
        now,
    )
    return {(r[0], r[1]) for r in rows}


async def _apply_increments(
    session: AsyncSession, increments: dict[CounterId, _Increment], now: datetime
) -> list[Crossing]:
    # A fixed order: two batches touching the same counters lock them in the same sequence.
    order = sorted(
        increments, key=lambda c: (c.tenant_id, c.feature_id, c.window_key, c.counter_key)
    )
    if dialect_name(session) == "postgresql":
        return await _apply_increments_pg(session, increments, order, now)
    crossings: list[Crossing] = []
    for counter in order:
        step = increments[counter]
        stmt = upsert(session, MeterCounter).values(
            tenant_id=counter.tenant_id,
            feature_id=counter.feature_id,
            window_key=counter.window_key,
            counter_key=counter.counter_key,
            window_start=step.window.start,
            window_end=step.window.end,
            used=step.amount,
            updated_at=now,
        )
        # A stored 6-hour session that closed before these events reopens at the first of them;
        # other windows never end before their own start, so for them this is plain addition.
        closed = MeterCounter.window_end <= stmt.excluded.window_start
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "feature_id", "window_key", "counter_key"],
            set_={
                "used": case((closed, stmt.excluded.used), else_=MeterCounter.used + step.amount),
                "window_start": case(
                    (closed, stmt.excluded.window_start), else_=MeterCounter.window_start
                ),
                "window_end": case(
                    (closed, stmt.excluded.window_end), else_=MeterCounter.window_end
                ),
                "updated_at": now,
            },
        ).returning(MeterCounter.used, MeterCounter.window_start, MeterCounter.window_end)
        row = (await session.execute(stmt)).one()
        crossings += _crossings(counter, step, Decimal(row[0]), row[1], row[2])
    return crossings


async def _apply_increments_pg(
    session: AsyncSession,
    increments: dict[CounterId, _Increment],
    order: list[CounterId],
    now: datetime,
) -> list[Crossing]:
    params = {
        "now": now,
        "t": [c.tenant_id for c in order],
        "f": [c.feature_id for c in order],
        "w": [c.window_key for c in order],
        "k": [c.counter_key for c in order],
        "s": [increments[c].window.start for c in order],
        "e": [increments[c].window.end for c in order],
        "n": [increments[c].amount for c in order],
    }
    crossings: list[Crossing] = []
    for row in (await session.execute(_PG_UPSERT_COUNTERS, params)).all():
        counter = CounterId(row[0], row[1], row[2], row[3])
        crossings += _crossings(counter, increments[counter], Decimal(row[4]), row[5], row[6])
    return crossings
