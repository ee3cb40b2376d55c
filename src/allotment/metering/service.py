"""checkAIAction, consume and the usage summary.

Limits come from the in-process entitlement cache (no SQL); only the counters touch the
database. Services never commit: the caller's unit of work does, so an answer is given only for
a committed outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import service as access_service
from allotment.catalog.snapshot import CatalogSnapshot, FeatureDef
from allotment.entitlements.cache import EntitlementCache, TenantView
from allotment.errors import Conflict, NotFound, ValidationFailed
from allotment.kit.clock import Clock
from allotment.metering import quota, repository
from allotment.metering.quota import json_number
from allotment.metering.repository import CounterId, CounterState
from allotment.metering.webhooks_outbox import Crossing, record_crossings
from allotment.metering.windows import ResetPeriod, Window, is_metered, window_for

FEATURE_NOT_FOUND = "Feature not found."
ACTION_NOT_FOUND = "Action not found."


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer of checkAIAction and consume, exactly as the seed shows it."""

    allowed: bool
    remaining: Decimal
    limit: int
    used: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "remaining": json_number(self.remaining),
            "limit": self.limit,
            "used": json_number(self.used),
        }


def decision(allowed: bool, limit: int, used: Decimal) -> Decision:
    return Decision(allowed, quota.remaining(limit, used), limit, used)


@dataclass(frozen=True, slots=True)
class UsageLine:
    feature_id: str
    used: Decimal
    limit: int
    window: Window

    def as_json(self) -> dict[str, Any]:
        return {
            "featureId": self.feature_id,
            "used": json_number(self.used),
            "limit": self.limit,
            "remaining": json_number(quota.remaining(self.limit, self.used)),
            "windowStart": _iso(self.window.start),
            "windowEnd": _iso(self.window.end),
            "percentUsed": float(quota.percent_used(self.limit, self.used)),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


# -- resolving what a request is about ------------------------------------------------------


async def tenant_view(cache: EntitlementCache, tenant_id: str) -> TenantView:
    view = await cache.tenant(tenant_id)
    if view is None:
        raise NotFound(access_service.TENANT_NOT_FOUND)
    return view


def limit_of(view: TenantView, feature_id: str) -> int:
    """The tenant's limit for a feature: -1 unlimited; a feature that is off allows nothing."""
    eff = view.effective.get(feature_id)
    if eff is None or not eff.enabled or eff.value is None:
        return 0
    return eff.value


def metered_feature(catalog: CatalogSnapshot, feature_id: str) -> FeatureDef:
    feature = catalog.features.get(feature_id)
    if feature is None:
        raise NotFound(FEATURE_NOT_FOUND)
    if not feature.is_number or not is_metered(feature.reset_period):
        raise ValidationFailed.field(
            "featureId", f"Feature '{feature_id}' is not metered (no reset period)."
        )
    return feature


def feature_for_action(catalog: CatalogSnapshot, action: str) -> FeatureDef:
    feature_id = catalog.actions.get(action) or catalog.actions.get(action.upper())
    if feature_id is None:
        raise NotFound(ACTION_NOT_FOUND)
    return metered_feature(catalog, feature_id)


def counter_key_for(feature: FeatureDef, key: str | None) -> str:
    if feature.reset_period == ResetPeriod.PER_KEY:
        if not key:
            raise ValidationFailed.field(
                "key", f"Feature '{feature.id}' counts per key: send the key (e.g. a session id)."
            )
        return key
    return ""


async def _anchor(session: AsyncSession, feature: FeatureDef, tenant_id: str) -> datetime | None:
    # Until billing exists, a tenant's billing periods are anchored on its creation.
    if feature.reset_period != ResetPeriod.BILLING_PERIOD:
        return None
    tenant = await access_service.load_tenant(session, tenant_id)
    return tenant.created_at if tenant is not None else None


async def current_window(
    session: AsyncSession, view: TenantView, feature: FeatureDef, now: datetime
) -> Window:
    """The calendar, billing, lifetime or per-key window of ``now`` (sessions: see ``_used``)."""
    assert feature.reset_period is not None
    anchor = await _anchor(session, feature, view.tenant_id)
    return window_for(feature.reset_period, now, time_zone=view.time_zone, anchor=anchor)


def _live(state: CounterState | None, window: Window, now: datetime) -> tuple[Decimal, Window]:
    """What counts now: a closed session counts as empty (the next use opens a new one)."""
    if state is None:
        return Decimal(0), window
    if window.key == "session":
        stored = Window(window.key, state.window_start, state.window_end)
        if not stored.contains(now):
            return Decimal(0), window_for(ResetPeriod.SESSION_6H, now)
        return state.used, stored
    return state.used, window


# -- the operations -------------------------------------------------------------------------


async def check(
    session: AsyncSession,
    cache: EntitlementCache,
    clock: Clock,
    tenant_id: str,
    feature: FeatureDef,
    *,
    amount: Decimal = Decimal(1),
    key: str | None = None,
) -> Decision:
    """Read-only: would ``amount`` more be allowed now?"""
    view = await tenant_view(cache, tenant_id)
    limit = limit_of(view, feature.id)
    now = clock()
    window = await current_window(session, view, feature, now)
    counter = CounterId(tenant_id, feature.id, window.key, counter_key_for(feature, key))
    used, _ = _live(await repository.read_counter(session, counter), window, now)
    return decision(quota.allows(limit, used, amount), limit, used)


async def check_action(
    session: AsyncSession,
    cache: EntitlementCache,
    clock: Clock,
    tenant_id: str,
    action: str,
    *,
    key: str | None = None,
) -> Decision:
    await tenant_view(cache, tenant_id)
    feature = feature_for_action(await cache.catalog(), action)
    return await check(session, cache, clock, tenant_id, feature, key=key)


async def consume(
    session: AsyncSession,
    cache: EntitlementCache,
    clock: Clock,
    tenant_id: str,
    feature_id: str,
    *,
    amount: Decimal,
    idempotency_key: str,
    user_id: str | None = None,
    key: str | None = None,
) -> Decision:
    """Check and record in one atomic step; a retry with the same key gets the first answer."""
    view = await tenant_view(cache, tenant_id)
    feature = metered_feature(await cache.catalog(), feature_id)
    counter_key = counter_key_for(feature, key)
    limit = limit_of(view, feature.id)
    now = clock()

    claimed = await repository.claim_consumption(
        session,
        tenant_id=tenant_id,
        idempotency_key=idempotency_key,
        feature_id=feature.id,
        amount=amount,
        user_id=user_id,
        key=key,
        now=now,
    )
    if not claimed:
        return await _replay(session, tenant_id, idempotency_key, feature.id, amount)

    if feature.reset_period == ResetPeriod.SESSION_6H:
        used, window, allowed = await _consume_session(
            session, tenant_id, feature, counter_key, amount, limit, now
        )
    else:
        window = await current_window(session, view, feature, now)
        counter = CounterId(tenant_id, feature.id, window.key, counter_key)
        used, allowed = await _consume_counter(session, counter, window, amount, limit, now)

    await repository.record_outcome(
        session, tenant_id, idempotency_key, allowed=allowed, used=used, limit=limit
    )
    if allowed:
        await _note_crossings(
            session, tenant_id, feature.id, window, counter_key, amount, used, limit, now
        )
    return decision(allowed, limit, used)


async def _note_crossings(
    session: AsyncSession,
    tenant_id: str,
    feature_id: str,
    window: Window,
    counter_key: str,
    amount: Decimal,
    used: Decimal,
    limit: int,
    now: datetime,
) -> None:
    marks = quota.crossed(limit, used - amount, used)
    if marks:
        crossings = [
            Crossing(tenant_id, feature_id, window, counter_key, m, used, limit) for m in marks
        ]
        await record_crossings(session, now, crossings)


async def _consume_counter(
    session: AsyncSession,
    counter: CounterId,
    window: Window,
    amount: Decimal,
    limit: int,
    now: datetime,
) -> tuple[Decimal, bool]:
    if not quota.allows(limit, Decimal(0), amount):
        # 0 never allows, nor does an amount beyond the whole limit: nothing to write.
        state = await repository.read_counter(session, counter)
        return (state.used if state else Decimal(0)), False
    cap = None if limit == quota.UNLIMITED else limit
    used = await repository.increment(session, counter, amount, cap, now)
    if used is None:
        # The first use in this window creates the row; a racing creator is fine (DO NOTHING).
        await repository.ensure_counter(session, counter, window.start, window.end, now)
        used = await repository.increment(session, counter, amount, cap, now)
    if used is not None:
        return used, True
    state = await repository.read_counter(session, counter)
    return (state.used if state else Decimal(0)), False


async def _consume_session(
    session: AsyncSession,
    tenant_id: str,
    feature: FeatureDef,
    counter_key: str,
    amount: Decimal,
    limit: int,
    now: datetime,
) -> tuple[Decimal, Window, bool]:
    counter = CounterId(tenant_id, feature.id, "session", counter_key)
    fresh = window_for(ResetPeriod.SESSION_6H, now)
    if quota.allows(limit, Decimal(0), amount):
        cap = None if limit == quota.UNLIMITED else limit
        state = await repository.increment_session(session, counter, amount, cap, now)
        if state is None:
            await repository.ensure_counter(session, counter, fresh.start, fresh.end, now)
            state = await repository.increment_session(session, counter, amount, cap, now)
        if state is not None:
            return state.used, Window("session", state.window_start, state.window_end), True
    used, window = _live(await repository.read_counter(session, counter), fresh, now)
    return used, window, False


async def _replay(
    session: AsyncSession, tenant_id: str, idempotency_key: str, feature_id: str, amount: Decimal
) -> Decision:
    prior = await repository.get_consumption(session, tenant_id, idempotency_key)
    if prior is None:  # pragma: no cover - the key was claimed, so the row exists
        raise Conflict("This idempotency key is being used by another request.")
    if prior.feature_id != feature_id or Decimal(prior.amount) != amount:
        raise Conflict(
            "This idempotency key was already used for a different consume.",
            {"featureId": prior.feature_id, "amount": json_number(Decimal(prior.amount))},
        )
    return decision(prior.allowed, prior.limit, Decimal(prior.used))


async def usage_summary(
    session: AsyncSession, cache: EntitlementCache, clock: Clock, tenant_id: str
) -> list[UsageLine]:
    """Every metered NUMBER feature: used, limit and the current window."""
    view = await tenant_view(cache, tenant_id)
    catalog = await cache.catalog()
    now = clock()
    features = sorted(
        (f for f in catalog.features.values() if f.is_number and is_metered(f.reset_period)),
        key=lambda f: (f.sort_order, f.id),
    )
    windows = {f.id: await current_window(session, view, f, now) for f in features}
    stored = await repository.read_counters(
        session, tenant_id, {w.key for w in windows.values() if w.key != "per_key"}
    )
    lines = []
    for feature in features:
        window = windows[feature.id]
        if window.key == "per_key":
            # Per-key features count per chat session (or such): report the latest key's count.
            latest = await repository.latest_keyed_counter(
                session, tenant_id, feature.id, window.key
            )
            used = latest[1].used if latest else Decimal(0)
        else:
            used, window = _live(stored.get((feature.id, window.key, "")), window, now)
        lines.append(UsageLine(feature.id, used, limit_of(view, feature.id), window))
    return lines
