"""At a limit of N, N of many concurrent consumers succeed, never N + 1, on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from allotment.metering.runtime import Metering
from tests.concurrency.conftest import Committed
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
FEATURE = "ai_website_analysis"


async def _tenant_with_limit(
    client: httpx.AsyncClient, committed: Committed, limit: int, name: str
) -> str:
    created = await client.post(
        "/api/v1/tenants", json={"name": name, "packageId": "starter"}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    tenant_id: str = created.json()["id"]
    committed.tenant_ids.append(tenant_id)
    saved = await client.put(
        f"/api/v1/tenants/{tenant_id}/entitlements",
        json={"entitlements": [{"featureId": FEATURE, "enabled": True, "value": limit}]},
        headers=ADMIN,
    )
    assert saved.status_code == 200, saved.text
    return tenant_id


async def _stored_used(committed: Committed, tenant_id: str) -> float:
    async with committed.db.session() as session:
        used = (
            await session.execute(
                text("SELECT sum(used) FROM meter_counters WHERE tenant_id = :t"), {"t": tenant_id}
            )
        ).scalar_one()
    return float(used or 0)


async def test_exactly_n_of_many_concurrent_consumers_succeed(
    live_client: httpx.AsyncClient, committed: Committed
) -> None:
    limit = 25
    tenant_id = await _tenant_with_limit(live_client, committed, limit, "race-inproc")
    url = f"/api/v1/tenants/{tenant_id}/features/{FEATURE}/consume"

    async def one(i: int) -> dict[str, Any]:
        response = await live_client.post(url, json={"idempotencyKey": f"k{i}"}, headers=ADMIN)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    answers = await asyncio.gather(*(one(i) for i in range(120)))
    assert sum(a["allowed"] for a in answers) == limit
    assert max(a["used"] for a in answers) == limit
    assert await _stored_used(committed, tenant_id) == limit


async def test_in_process_consume_races_and_retries(
    live_app: FastAPI, live_client: httpx.AsyncClient, committed: Committed
) -> None:
    limit = 10
    tenant_id = await _tenant_with_limit(live_client, committed, limit, "race-service")
    metering: Metering = live_app.state.metering

    # Every idempotency key is sent three times at once: it must count once.
    calls = [metering.consume(tenant_id, FEATURE, idempotency_key=f"k{i % 30}") for i in range(90)]
    answers = await asyncio.gather(*calls)
    by_key: dict[str, set[tuple[Any, ...]]] = {}
    for i, a in enumerate(answers):
        by_key.setdefault(f"k{i % 30}", set()).add((a.allowed, a.used))
    assert all(len(outcomes) == 1 for outcomes in by_key.values())
    assert sum(next(iter(o))[0] for o in by_key.values()) == limit
    assert await _stored_used(committed, tenant_id) == limit


# -- two real server processes ---------------------------------------------------------------


def _free_port() -> int:
    for port in range(19000 + os.getpid() % 500, 20000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 19000-19999")


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start: {log.read_text()[-2000:]}")


@pytest.fixture
def two_servers(pg_url: str, committed: Committed, tmp_path: Path) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "ALLOTMENT_DATABASE_URL": pg_url,
        "ALLOTMENT_BOOTSTRAP_TOKEN": ADMIN_TOKEN,
        "ALLOTMENT_LOG_LEVEL": "warning",
    }
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for n in range(2):
            port = _free_port()
            log = tmp_path / f"server{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "allotment.cli.main",
                        "serve",
                        "--no-migrate",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            _wait_ready(port, process, log)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


async def test_two_processes_by_32_clients_never_grant_n_plus_one(
    two_servers: list[str], committed: Committed
) -> None:
    limit = 40
    clients_per_server = 32
    per_client = 4
    async with httpx.AsyncClient(base_url=two_servers[0], timeout=30) as setup:
        tenant_id = await _tenant_with_limit(setup, committed, limit, "race-2proc")
    path = f"/api/v1/tenants/{tenant_id}/features/{FEATURE}/consume"

    async def client_run(base: str, client_no: int) -> list[tuple[str, dict[str, Any]]]:
        results = []
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for j in range(per_client):
                idem = f"{base[-5:]}-{client_no}-{j}"
                first = await client.post(path, json={"idempotencyKey": idem}, headers=ADMIN)
                assert first.status_code == 200, first.text
                results.append((idem, first.json()))
                if j == 0:
                    # A retry of the same request, possibly on the other process.
                    other = two_servers[1] if base == two_servers[0] else two_servers[0]
                    retry = await client.post(
                        other + path, json={"idempotencyKey": idem}, headers=ADMIN
                    )
                    assert retry.json() == first.json()
        return results

    runs = await asyncio.gather(
        *(client_run(base, c) for base in two_servers for c in range(clients_per_server))
    )
    outcomes = [answer for run in runs for _idem, answer in run]
    assert len(outcomes) == 2 * clients_per_server * per_client
    granted = sum(a["allowed"] for a in outcomes)
    assert granted == limit
    assert all(a["used"] <= limit for a in outcomes)
    assert await _stored_used(committed, tenant_id) == limit


async def test_fast_path_replays_and_rejects_a_reused_key(
    live_client: httpx.AsyncClient, committed: Committed
) -> None:
    tenant_id = await _tenant_with_limit(live_client, committed, 1, "replay-fast")
    url = f"/api/v1/tenants/{tenant_id}/features/{FEATURE}/consume"
    first = await live_client.post(url, json={"idempotencyKey": "a"}, headers=ADMIN)
    again = await live_client.post(url, json={"idempotencyKey": "a"}, headers=ADMIN)
    denied = await live_client.post(url, json={"idempotencyKey": "b"}, headers=ADMIN)
    denied_again = await live_client.post(url, json={"idempotencyKey": "b"}, headers=ADMIN)
    other = await live_client.post(url, json={"idempotencyKey": "a", "amount": 2}, headers=ADMIN)
    assert first.json() == again.json() == {"allowed": True, "remaining": 0, "limit": 1, "used": 1}
    assert (
        denied.json()
        == denied_again.json()
        == {
            "allowed": False,
            "remaining": 0,
            "limit": 1,
            "used": 1,
        }
    )
    assert other.status_code == 409
    assert await _stored_used(committed, tenant_id) == 1
