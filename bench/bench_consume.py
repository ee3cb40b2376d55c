"""Consume on PostgreSQL with 32 concurrent clients, beside a bare asyncpg loop on the same table.

Two shapes, each run through the service layer in process (``Metering.consume``: concurrent
consumes are settled together, one autocommitted statement per batch: retried keys answered from
the ledger, one conditional UPDATE per counter for the batch's summed increment, the outcomes and
any threshold rows) and as a bare asyncpg loop that sends only the conditional UPDATE, one
increment per statement (autocommit):

* hot: all 32 clients consume one tenant's one counter (every increment waits for the previous
  commit: the worst case, and the one that proves the limit holds);
* spread: each client consumes its own tenant's counter.

The limit is 90 % of the attempts, so every run ends denying; over-grants = granted - limit.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from bench.common import Row, percentile, verdict
from bench.metering_http import consume_over_http
from bench.metering_setup import BenchWorld, asyncpg_dsn, bench_url, bench_world

CLIENTS = 32
FEATURE = "ai_website_analysis"

BARE_UPDATE = """
UPDATE meter_counters SET used = used + $1, updated_at = now()
WHERE tenant_id = $2 AND feature_id = $3 AND window_key = $4 AND counter_key = ''
  AND used + $1 <= $5
RETURNING used
"""


async def _drive(
    op: Callable[[int], Awaitable[bool]], clients: int, per_client: int
) -> tuple[float, list[float], int]:
    """Run ``op`` ``per_client`` times in each of ``clients`` tasks: ops/s, latencies, grants."""
    latencies: list[float] = []
    granted = 0

    async def client(c: int) -> None:
        nonlocal granted
        for _ in range(per_client):
            start = time.perf_counter()
            if await op(c):
                granted += 1
            latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - start
    return clients * per_client / elapsed, latencies, granted


async def _service_run(
    world: BenchWorld, hot: bool, per_client: int
) -> tuple[float, list[float], int, int]:
    total = CLIENTS * per_client
    limit = int(total * 0.9) if hot else int(per_client * 0.9)
    tenants = [
        await world.new_tenant(f"bench-consume-{i}", {FEATURE: limit})
        for i in range(1 if hot else CLIENTS)
    ]
    metering = world.app.state.metering
    for t in tenants:  # warm the entitlement cache: the limit never costs SQL afterwards
        await world.app.state.entitlements.tenant(t)

    # Keys are made before the clock starts: the bare loop has none to make.
    keys = [[uuid.uuid4().hex for _ in range(per_client)] for _ in range(CLIENTS)]

    async def op(c: int) -> bool:
        tenant = tenants[0] if hot else tenants[c]
        decision = await metering.consume(tenant, FEATURE, idempotency_key=keys[c].pop())
        return bool(decision.allowed)

    stats = metering.fast.coalescer.stats if metering.fast is not None else None
    before = (stats.batches, stats.requests) if stats is not None else (0, 0)
    ops, lat, granted = await _drive(op, CLIENTS, per_client)
    if stats is not None and stats.batches > before[0]:
        per_batch = (stats.requests - before[1]) / (stats.batches - before[0])
        print(f"  consume batches held {per_batch:.1f} requests on average", file=sys.stderr)
    return ops, lat, granted, limit * len(tenants)


async def _bare_run(
    world: BenchWorld, hot: bool, per_client: int
) -> tuple[float, list[float], int, int]:
    total = CLIENTS * per_client
    limit = int(total * 0.9) if hot else int(per_client * 0.9)
    tenants = [await world.new_tenant(f"bench-bare-{i}", {}) for i in range(1 if hot else CLIENTS)]
    # The same table, the same row shape: make the counters the service would have made.
    metering = world.app.state.metering
    for t in tenants:
        await metering.consume(t, FEATURE, idempotency_key="seed")  # starter: limit 10
    pool = await asyncpg.create_pool(asyncpg_dsn(bench_url()), min_size=CLIENTS, max_size=CLIENTS)
    async with pool.acquire() as conn:
        window_key = await conn.fetchval(
            "SELECT window_key FROM meter_counters WHERE tenant_id = $1", tenants[0]
        )
        await conn.execute(
            "UPDATE meter_counters SET used = 0 WHERE tenant_id = ANY($1::varchar[])", tenants
        )

    async def op(c: int) -> bool:
        tenant = tenants[0] if hot else tenants[c]
        async with pool.acquire() as conn:
            used = await conn.fetchval(BARE_UPDATE, 1, tenant, FEATURE, window_key, limit)
        return used is not None

    try:
        ops, lat, granted = await _drive(op, CLIENTS, per_client)
    finally:
        await pool.close()
    return ops, lat, granted, limit * len(tenants)


async def run(small: bool) -> list[Row]:
    per_client = 15 if small else 150
    rows: list[Row] = []
    async with bench_world() as world:
        for hot in (True, False):
            shape = "hot counter" if hot else "32 counters"
            s_ops, s_lat, s_granted, s_limit = await _service_run(world, hot, per_client)
            b_ops, b_lat, b_granted, b_limit = await _bare_run(world, hot, per_client)
            over = max(0, s_granted - s_limit) + max(0, b_granted - b_limit)
            short = s_limit - s_granted
            rows.append(
                Row(
                    f"consume, service in-process, PG, {CLIENTS} clients, {shape}",
                    s_ops,
                    "ops/s",
                    percentile(s_lat, 50),
                    percentile(s_lat, 99),
                    ">= 3,000/s",
                    verdict(s_ops, 3000),
                    f"granted {s_granted} of limit {s_limit}"
                    + (f", {short} UNDER-granted" if short else ""),
                )
            )
            rows.append(
                Row(
                    f"bare asyncpg conditional UPDATE, {CLIENTS} conns, {shape}",
                    b_ops,
                    "ops/s",
                    percentile(b_lat, 50),
                    percentile(b_lat, 99),
                    "reference",
                    "",
                    f"granted {b_granted} of limit {b_limit}",
                )
            )
            rows.append(
                Row(
                    f"consume / bare ratio, {shape}",
                    s_ops / b_ops,
                    "x",
                    goal=">= 0.5",
                    verdict=verdict(s_ops / b_ops, 0.5),
                )
            )
            rows.append(
                Row(
                    f"consume over-grants, {shape}",
                    over,
                    "grants",
                    goal="0",
                    verdict="meets goal" if over == 0 else "OVER-GRANTED",
                )
            )
        rows.append(await consume_over_http(world, 2 if small else 10, limit=1_000_000))
    return rows
