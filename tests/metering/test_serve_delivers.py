"""A real ``allotment serve`` delivers threshold webhooks from its background task."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from allotment.metering.signing import HEADER, verify
from tests.metering.receiver import loopback_port, running_receiver

TOKEN = "serve-delivery-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = loopback_port()
    env = {
        **os.environ,
        "ALLOTMENT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "ALLOTMENT_BOOTSTRAP_TOKEN": TOKEN,
        "ALLOTMENT_WEBHOOK_POLL_SECONDS": "0.2",
        "ALLOTMENT_LOG_LEVEL": "warning",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "allotment.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_background_task_delivers_signed_event(server: str) -> None:
    async with running_receiver() as receiver, httpx.AsyncClient(base_url=server) as client:
        tenant = (
            await client.post(
                "/api/v1/tenants", json={"name": "Acme", "packageId": "starter"}, headers=ADMIN
            )
        ).json()
        hook = (
            await client.post(
                f"/api/v1/tenants/{tenant['id']}/webhooks",
                json={"url": receiver.url + "/hooks"},
                headers=ADMIN,
            )
        ).json()
        for i in range(8):
            await client.post(
                f"/api/v1/tenants/{tenant['id']}/features/ai_website_analysis/consume",
                json={"idempotencyKey": f"k{i}"},
                headers=ADMIN,
            )
        for _ in range(100):
            if receiver.requests:
                break
            await asyncio.sleep(0.1)
        assert len(receiver.requests) == 1
        sent = receiver.requests[0]
        assert verify(hook["secret"], sent.headers[HEADER.lower()], sent.body, now=int(time.time()))
        assert orjson.loads(sent.body)["data"]["threshold"] == 80
