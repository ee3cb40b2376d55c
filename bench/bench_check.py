"""The check path: warm in-process checks, and HTTP checks beside the framework floor.

The HTTP part runs a real ``allotment serve`` (one process) and drives it with ``wrk`` over
loopback with keep-alive; the floor is ``/healthz`` of the same app, measured the same way.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Row, percentile, verdict
from bench.serving import WrkResult, run_wrk, serving

TOKEN = "bench-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def _in_process(small: bool, url: str) -> Row:
    from allotment.app import create_app
    from allotment.settings import Settings

    app = create_app(Settings(database_url=url, bootstrap_token=TOKEN), listen=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            tenant = (
                await client.post(
                    "/api/v1/tenants",
                    json={"name": "Bench", "packageId": "professional"},
                    headers=AUTH,
                )
            ).json()
        cache = app.state.entitlements
        check = cache.check_entitlement
        tenant_id = tenant["id"]
        assert await check("ai_generation", tenant_id) is True
        batches, per_batch = (20, 1_000) if small else (400, 5_000)
        samples: list[float] = []
        start = time.perf_counter()
        for _ in range(batches):
            t0 = time.perf_counter()
            for _ in range(per_batch):
                await check("ai_generation", tenant_id)
            samples.append((time.perf_counter() - t0) / per_batch * 1000)
        elapsed = time.perf_counter() - start
    rate = batches * per_batch / elapsed
    return Row(
        "check, in process (warm)",
        rate,
        "checks/s",
        p50_ms=percentile(samples, 50),
        p99_ms=percentile(samples, 99),
        note=f"{batches}x{per_batch} awaited calls; p50/p99 per call over batches",
    )


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> WrkResult:
    result = run_wrk(url, seconds=seconds, connections=32, headers=headers)
    if result.non_2xx:
        raise RuntimeError(f"wrk saw errors:\n{result.output}")
    return result


def _row(name: str, result: WrkResult, note: str) -> Row:
    return Row(name, result.rate, "req/s", result.p50_ms, result.p99_ms, note=note)


def _http(small: bool, url: str) -> list[Row]:
    if shutil.which("wrk") is None:
        return [Row("check over HTTP", float("nan"), "req/s", note="wrk not installed: skipped")]
    seconds = 2 if small else 10
    with serving(url, TOKEN) as base:
        with httpx.Client(base_url=base, headers=AUTH) as http:
            tenant = http.post(
                "/api/v1/tenants", json={"name": "Bench", "packageId": "starter"}
            ).json()
            key = http.post(f"/api/v1/tenants/{tenant['id']}/api-keys").json()["key"]
        check_url = f"{base}/api/v1/tenants/{tenant['id']}/entitlements/ai_generation"
        auth = {"Authorization": f"Bearer {key}"}
        _wrk(f"{base}/healthz", 1, {})  # warm-up
        _wrk(check_url, 1, auth)
        floor = _wrk(f"{base}/healthz", seconds, auth)
        check = _wrk(check_url, seconds, auth)
    with serving(url, TOKEN, app="bench.raw_asgi:app") as raw_base:
        _wrk(f"{raw_base}/", 1, {})
        server_floor = _wrk(f"{raw_base}/", seconds, auth)
    ratio = check.rate / floor.rate
    return [
        _row(
            "bare ASGI app over HTTP (server floor)",
            server_floor,
            "uvicorn + a 10-line ASGI app; no framework",
        ),
        _row("empty endpoint over HTTP (floor)", floor, "GET /healthz, wrk -t1 -c32, keep-alive"),
        _row(
            "check over HTTP",
            check,
            "GET /api/v1/tenants/{id}/entitlements/{feature}, tenant key",
        ),
        Row("check / floor ratio", ratio, "x", goal=">= 0.8", verdict=verdict(ratio, 0.8)),
    ]


async def run(small: bool) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        from allotment.db.migrate import upgrade

        upgrade(url)
        rows = [await _in_process(small, url)]
        rows.extend(_http(small, url))
    return rows
