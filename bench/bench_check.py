"""The check path: warm in-process checks, and HTTP checks beside the framework floor.

The HTTP part runs a real ``allotment serve`` (one process) and drives it with ``wrk`` over
loopback with keep-alive; the floor is ``/healthz`` of the same app, measured the same way.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Row, free_port, percentile, verdict

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


def _start_server(url: str, raw: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "ALLOTMENT_DATABASE_URL": url, "ALLOTMENT_BOOTSTRAP_TOKEN": TOKEN}
    command = [sys.executable, "-m", "allotment.cli.main", "serve", "--port", str(port)]
    if raw:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.raw_asgi:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> tuple[float, float, float]:
    args = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {q: float(v) * _UNITS[u] for q, v, u in _LATENCY.findall(out)}
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return rate, lat["50"], lat["99"]


def _http(small: bool, url: str) -> list[Row]:
    if shutil.which("wrk") is None:
        return [Row("check over HTTP", float("nan"), "req/s", note="wrk not installed: skipped")]
    process, base = _start_server(url)
    try:
        with httpx.Client(base_url=base, headers=AUTH) as http:
            tenant = http.post(
                "/api/v1/tenants", json={"name": "Bench", "packageId": "starter"}
            ).json()
            key = http.post(f"/api/v1/tenants/{tenant['id']}/api-keys").json()["key"]
        check_url = f"{base}/api/v1/tenants/{tenant['id']}/entitlements/ai_generation"
        auth = {"Authorization": f"Bearer {key}"}
        seconds = 2 if small else 10
        _wrk(f"{base}/healthz", 1, {})  # warm-up
        _wrk(check_url, 1, auth)
        floor = _wrk(f"{base}/healthz", seconds, auth)
        check = _wrk(check_url, seconds, auth)
    finally:
        process.terminate()
        process.wait(timeout=10)
    raw_process, raw_base = _start_server(url, raw=True)
    try:
        _wrk(f"{raw_base}/", 1, {})
        server_floor = _wrk(f"{raw_base}/", seconds, auth)
    finally:
        raw_process.terminate()
        raw_process.wait(timeout=10)
    ratio = check[0] / floor[0]
    return [
        Row(
            "bare ASGI app over HTTP (server floor)",
            server_floor[0],
            "req/s",
            server_floor[1],
            server_floor[2],
            note="uvicorn + a 10-line ASGI app; no framework",
        ),
        Row(
            "empty endpoint over HTTP (floor)",
            floor[0],
            "req/s",
            floor[1],
            floor[2],
            note="GET /healthz, wrk -t1 -c32, keep-alive",
        ),
        Row(
            "check over HTTP",
            check[0],
            "req/s",
            check[1],
            check[2],
            note="GET /api/v1/tenants/{id}/entitlements/{feature}, tenant key",
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
