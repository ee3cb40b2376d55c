"""Warm in-process entitlement checks through the SDK's local evaluation (no network).

The snapshot is loaded once through ``httpx.MockTransport``; every timed check is the SDK's hot
path. Latency is reported two ways, because one check (~0.1 µs) is close to the timer's own cost:
- p50/p99 columns: each check timed on its own with ``perf_counter_ns``. An upper bound: it
  includes one timer read, whose cost is measured and shown in the note.
- note: per-check mean within batches of ``BATCH`` checks, p50/p99 across batches.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx

from allotment_client import AllotmentClient, AsyncAllotmentClient
from bench.common import Row, percentile, verdict

GOAL = 1_000_000
BATCH = 100
TENANT = "ten_bench"
FEATURES = [f"feature_{i}" for i in range(40)]


def _transport() -> httpx.MockTransport:
    body = [
        {
            "featureId": fid,
            "type": "NUMBER" if i % 2 else "BOOLEAN",
            "enabled": i % 3 != 0,
            "value": i * 10 if i % 2 else None,
            "source": "plan",
        }
        for i, fid in enumerate(FEATURES)
    ]
    return httpx.MockTransport(lambda _: httpx.Response(200, json=body, headers={"ETag": '"1"'}))


def _batch() -> list[str]:
    # Mostly known features, some unknown: both are plain dict lookups on the warm path.
    names = [*FEATURES, "no_such_feature"]
    return [names[i % len(names)] for i in range(BATCH)]


def _timer_cost_ns(samples: int = 20_000) -> float:
    clock = time.perf_counter_ns
    costs = []
    for _ in range(samples):
        t0 = clock()
        costs.append(clock() - t0)
    return percentile([float(c) for c in costs], 50)


def _row(name: str, rate: float, singles: list[float], batches: list[float], note: str) -> Row:
    b50, b99 = (percentile(batches, q) / BATCH for q in (50, 99))
    timer = _timer_cost_ns()
    return Row(
        name,
        rate,
        "checks/s",
        p50_ms=percentile(singles, 50) / 1e6,
        p99_ms=percentile(singles, 99) / 1e6,
        goal=f">= {GOAL:,}/s",
        verdict=verdict(rate, GOAL),
        note=(
            f"single-check p50/p99 {percentile(singles, 50):.0f}/{percentile(singles, 99):.0f} ns"
            f" incl. ~{timer:.0f} ns timer; batch-mean p50/p99 {b50 * 1e9:.0f}/{b99 * 1e9:.0f} ns"
            + (f"; {note}" if note else "")
        ),
    )


def _measure_sync(
    check: Callable[[str, str], bool], total: int
) -> tuple[float, list[float], list[float]]:
    features = _batch()
    clock, clock_ns = time.perf_counter, time.perf_counter_ns
    batches: list[float] = []
    start = clock()
    for _ in range(total // BATCH):
        t0 = clock()
        for feature in features:
            check(feature, TENANT)
        batches.append(clock() - t0)
    rate = len(batches) * BATCH / (clock() - start)
    singles: list[float] = []
    for _ in range(total // (10 * BATCH)):
        for feature in features:
            t0 = clock_ns()
            check(feature, TENANT)
            singles.append(clock_ns() - t0)
    return rate, singles, batches


async def _measure_async(
    check: Callable[[str, str], Awaitable[bool]], total: int
) -> tuple[float, list[float], list[float]]:
    features = _batch()
    clock, clock_ns = time.perf_counter, time.perf_counter_ns
    batches: list[float] = []
    start = clock()
    for _ in range(total // BATCH):
        t0 = clock()
        for feature in features:
            await check(feature, TENANT)
        batches.append(clock() - t0)
    rate = len(batches) * BATCH / (clock() - start)
    singles: list[float] = []
    for _ in range(total // (10 * BATCH)):
        for feature in features:
            t0 = clock_ns()
            await check(feature, TENANT)
            singles.append(clock_ns() - t0)
    return rate, singles, batches


async def run(small: bool) -> list[Row]:
    total = 200_000 if small else 5_000_000
    base = "http://bench.invalid"
    with AllotmentClient(base, "k", transport=_transport(), refresh_interval=None) as sdk:
        assert sdk.check_entitlement("feature_1", TENANT) is True  # the one fetch: now warm
        sync = _row("sdk local check (sync)", *_measure_sync(sdk.check_entitlement, total), "")
    async with AsyncAllotmentClient(base, "k", transport=_transport(), refresh_interval=None) as a:
        assert await a.check_entitlement("feature_1", TENANT) is True
        measured = await _measure_async(a.check_entitlement, total // 2)
        awaited = _row("sdk local check (async)", *measured, "one await per check")
    return [sync, awaited]
