"""Coalesced consumes on PostgreSQL: batches never grant past the limit, never under-grant,
count a key once, and survive waiters that go away."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from allotment.errors import Conflict
from allotment.metering.runtime import Metering
from allotment.metering.service import Decision
from tests.concurrency.conftest import Committed
from tests.concurrency.test_consume_race import FEATURE, _stored_used, _tenant_with_limit


async def _ledger(committed: Committed, tenant_id: str) -> dict[str, tuple[Any, ...]]:
    async with committed.db.session() as session:
        rows = (
            await session.execute(
                text(
                    'SELECT idempotency_key, amount, allowed, used, "limit" FROM consumptions '
                    "WHERE tenant_id = :t"
                ),
                {"t": tenant_id},
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


async def _thresholds(committed: Committed, tenant_id: str) -> list[tuple[int, Decimal]]:
    async with committed.db.session() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT threshold, used FROM threshold_events WHERE tenant_id = :t "
                    "ORDER BY threshold"
                ),
                {"t": tenant_id},
            )
        ).all()
    return [(int(r[0]), Decimal(r[1])) for r in rows]


def _metering(app: FastAPI) -> Metering:
    metering: Metering = app.state.metering
    assert metering.fast is not None
    return metering


async def _wave(
    metering: Metering, tenant_id: str, calls: list[tuple[str, Decimal]]
) -> list[Decision | BaseException]:
    return await asyncio.gather(
        *(metering.consume(tenant_id, FEATURE, a, idempotency_key=k) for k, a in calls),
        return_exceptions=True,
    )


async def test_mixed_amounts_near_the_limit_with_twins_in_one_batch(
    live_app: FastAPI, live_client: httpx.AsyncClient, committed: Committed
) -> None:
    limit = 32
    tenant_id = await _tenant_with_limit(live_client, committed, limit, "batch-mixed")
    await live_app.state.entitlements.tenant(tenant_id)  # cached: the calls queue at once
    await live_app.state.entitlements.catalog()
    metering = _metering(live_app)
    assert metering.fast is not None
    stats = metering.fast.coalescer.stats
    amounts = {f"k{i}": Decimal((3, 1, 2, 1, 5)[i % 5]) for i in range(52)}

    # Wave 1 fits (28 of 32) and crosses 80 %: keys 0-4 twice (a retry inside the same batch),
    # and key 1 once more with another amount (a conflict).
    together = stats.granted_together
    calls = [(f"k{i}", amounts[f"k{i}"]) for i in range(12)]
    calls += [(f"k{i}", amounts[f"k{i}"]) for i in range(5)] + [("k1", Decimal(7))]
    wave1 = await _wave(metering, tenant_id, calls)
    assert stats.granted_together - together == 12  # one summed increment granted them all
    # Wave 2 (40 more keys, again with twins) meets the limit.
    calls2 = [(f"k{i}", amounts[f"k{i}"]) for i in range(12, 52)]
    calls2 += [(f"k{i}", amounts[f"k{i}"]) for i in range(12, 20)]
    wave2 = await _wave(metering, tenant_id, calls2)

    by_key: dict[str, set[Decision]] = {}
    conflicts = 0
    for (k, a), answer in zip(calls + calls2, wave1 + wave2, strict=True):
        if isinstance(answer, Conflict):
            assert (k, a) == ("k1", Decimal(7))
            conflicts += 1
            continue
        assert isinstance(answer, Decision), answer
        by_key.setdefault(k, set()).add(answer)
    assert conflicts == 1
    assert all(len(outcomes) == 1 for outcomes in by_key.values())  # a retry: the same answer
    outcome = {k: next(iter(v)) for k, v in by_key.items()}
    assert all(outcome[f"k{i}"].allowed for i in range(12))

    used = Decimal(str(await _stored_used(committed, tenant_id)))
    granted = [k for k, d in outcome.items() if d.allowed]
    denied = [k for k, d in outcome.items() if not d.allowed]
    assert sum(amounts[k] for k in granted) == used <= limit  # each key counted once, no N+1
    # Greedy, never under-granting: whatever was denied does not fit even now.
    assert denied and all(used + amounts[k] > limit for k in denied)
    assert used == limit  # amount-1 requests were denied, so the limit is reached exactly
    # Each grant saw its own increment: distinct running totals, each the sum of the grants
    # up to and including it, in some order.
    totals = sorted((outcome[k].used, amounts[k]) for k in granted)
    running = Decimal(0)
    for total, amount in totals:
        running += amount
        assert total == running
    assert all(outcome[k].remaining == limit - outcome[k].used for k in granted)

    ledger = await _ledger(committed, tenant_id)
    assert set(ledger) == set(amounts)
    assert sum(row[0] for row in ledger.values() if row[1]) == used
    for k, d in outcome.items():
        assert (ledger[k][1], Decimal(ledger[k][2])) == (d.allowed, d.used)
    # One outbox row per threshold, written by the grant that crossed it.
    marks = await _thresholds(committed, tenant_id)
    assert [m for m, _ in marks] == [80, 100]
    for mark, at in marks:
        crossing = [k for k in granted if outcome[k].used == at]
        assert len(crossing) == 1
        assert at - amounts[crossing[0]] < Decimal(limit * mark) / 100 <= at


async def test_a_waiter_that_goes_away_keeps_its_committed_outcome(
    live_app: FastAPI, live_client: httpx.AsyncClient, committed: Committed
) -> None:
    limit = 25
    tenant_id = await _tenant_with_limit(live_client, committed, limit, "batch-cancel")
    metering = _metering(live_app)
    assert metering.fast is not None

    await live_app.state.entitlements.tenant(tenant_id)  # cached: the calls queue at once
    await live_app.state.entitlements.catalog()
    stats = metering.fast.coalescer.stats
    before = stats.submitted
    tasks = [
        asyncio.create_task(metering.consume(tenant_id, FEATURE, idempotency_key=f"c{i}"))
        for i in range(40)
    ]
    for _ in range(1000):  # until every request is queued (waiters are cancelled after that)
        if stats.submitted - before == 40:
            break
        await asyncio.sleep(0)
    assert stats.submitted - before == 40
    for task in tasks[::2]:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    await metering.fast.coalescer.drain()
    assert any(isinstance(r, asyncio.CancelledError) for r in results)

    # Every request was settled, cancelled waiter or not; a retry answers from the ledger.
    ledger = await _ledger(committed, tenant_id)
    assert set(ledger) == {f"c{i}" for i in range(40)}
    retries = [
        await metering.consume(tenant_id, FEATURE, idempotency_key=f"c{i}") for i in range(40)
    ]
    for i, (first, again) in enumerate(zip(results, retries, strict=True)):
        if isinstance(first, Decision):
            assert again == first
        assert (again.allowed, again.used) == (ledger[f"c{i}"][1], Decimal(ledger[f"c{i}"][2]))
    assert sum(r.allowed for r in retries) == limit
    assert await _stored_used(committed, tenant_id) == limit


async def test_two_coalescers_on_the_same_keys_count_each_once(
    live_app: FastAPI, live_client: httpx.AsyncClient, committed: Committed
) -> None:
    """Two processes' batches race on the same keys: one takes each key, the other replays it."""
    limit = 20
    tenant_id = await _tenant_with_limit(live_client, committed, limit, "batch-twins")
    here = _metering(live_app)
    there = Metering(here.db, here.cache, here.clock)  # its own pool and lanes: another process
    try:
        keys = [f"t{i}" for i in range(60)]
        ours, theirs = await asyncio.gather(
            asyncio.gather(*(here.consume(tenant_id, FEATURE, idempotency_key=k) for k in keys)),
            asyncio.gather(
                *(there.consume(tenant_id, FEATURE, idempotency_key=k) for k in reversed(keys))
            ),
        )
    finally:
        await there.close()
    assert list(ours) == list(reversed(theirs))  # the same key, the same answer
    assert sum(d.allowed for d in ours) == limit
    assert await _stored_used(committed, tenant_id) == limit
    ledger = await _ledger(committed, tenant_id)
    assert sum(1 for row in ledger.values() if row[1]) == limit
