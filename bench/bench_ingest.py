"""Usage event ingest on PostgreSQL in batches of 1,000, through the service layer in process.

Each batch is one transaction: one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING for the
events and one UPSERT per (tenant, feature, window) counter. Batches run on a few concurrent
tasks, like several API requests at once. A second run re-sends some batches to show that
duplicates are recognised and not counted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from allotment.access.policy import Role
from allotment.access.principals import Principal
from allotment.kit.clock import utc_now
from allotment.metering.ingest import ingest
from bench.common import Row, percentile, verdict
from bench.metering_http import ingest_over_http
from bench.metering_setup import BenchWorld, bench_world

BATCH = 1000
TENANTS = 10
FEATURES = ("ai_posts_limit", "ai_website_analysis", "ai_field_analysis")
PLATFORM = Principal(role=Role.PLATFORM_ADMIN, display_name="bench")


def _batch(tenants: list[str], n: int) -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:8]
    return [
        {
            "tenantId": tenants[i % len(tenants)],
            "featureId": FEATURES[i % len(FEATURES)],
            "quantity": 1,
            "userId": f"user-{i % 50}",
            "idempotencyKey": f"{run}-{n}-{i}",
        }
        for i in range(BATCH)
    ]


async def _ingest(world: BenchWorld, events: list[dict[str, Any]]) -> dict[str, Any]:
    cache = world.app.state.entitlements
    async with world.db.session(write=True) as session:
        result = await ingest(
            session,
            cache,
            utc_now(),
            PLATFORM,
            events,
            max_lateness=timedelta(days=7),
            max_future=timedelta(minutes=5),
        )
    return result.as_json()


async def run(small: bool) -> list[Row]:
    batches = 6 if small else 60
    concurrency = 8
    async with bench_world() as world:
        tenants = [await world.new_tenant(f"bench-ingest-{i}", {}) for i in range(TENANTS)]
        for t in tenants:
            await world.app.state.entitlements.tenant(t)
        payloads = [_batch(tenants, n) for n in range(batches)]
        await _ingest(world, _batch(tenants, -1))  # warm-up: counters exist, statements cached

        latencies: list[float] = []
        accepted = 0
        queue = list(payloads)

        async def worker() -> None:
            nonlocal accepted
            while queue:
                events = queue.pop()
                start = time.perf_counter()
                result = await _ingest(world, events)
                latencies.append((time.perf_counter() - start) * 1000)
                accepted += result["accepted"]

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        rate = batches * BATCH / elapsed

        retry = await _ingest(world, payloads[0])
        async with world.db.session() as session:
            counted = (
                await session.execute(
                    text("SELECT sum(used) FROM meter_counters WHERE tenant_id = ANY(:t)"),
                    {"t": tenants},
                )
            ).scalar_one()
        expected = (batches + 1) * BATCH
        note = (
            f"{accepted:,} accepted; a re-sent batch: {retry['duplicates']} duplicates, "
            f"{retry['accepted']} accepted; counters {'match' if counted == expected else 'DIFFER'}"
        )
        over_http = await ingest_over_http(world, tenants, 2 if small else 10)
    return [
        Row(
            f"event ingest, service in-process, PG, batches of {BATCH}, {concurrency} at once",
            rate,
            "events/s",
            percentile(latencies, 50),
            percentile(latencies, 99),
            ">= 50,000/s",
            verdict(rate, 50_000),
            note,
        ),
        over_http,
    ]
