"""Several delivery workers over one PostgreSQL: each delivery is sent exactly once."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from allotment.kit.clock import utc_now
from allotment.metering.webhooks_delivery import Deliverer
from tests.concurrency.conftest import Committed
from tests.conftest import ADMIN_TOKEN
from tests.metering.receiver import running_receiver

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_two_workers_deliver_each_event_once(
    live_app: FastAPI, live_client: httpx.AsyncClient, committed: Committed
) -> None:
    async with running_receiver() as receiver:
        tenants = []
        for n in range(6):
            created = await live_client.post(
                "/api/v1/tenants",
                json={"name": f"lease-{n}", "packageId": "starter"},
                headers=ADMIN,
            )
            tenant_id = created.json()["id"]
            committed.tenant_ids.append(tenant_id)
            tenants.append(tenant_id)
            hook = await live_client.post(
                f"/api/v1/tenants/{tenant_id}/webhooks",
                json={"url": receiver.url + "/hook"},
                headers=ADMIN,
            )
            assert hook.status_code == 201
            for i in range(10):  # 80 % and 100 % of 10: two events per tenant
                await live_client.post(
                    f"/api/v1/tenants/{tenant_id}/features/ai_website_analysis/consume",
                    json={"idempotencyKey": f"{n}-{i}"},
                    headers=ADMIN,
                )

        settings = live_app.state.settings
        workers = [Deliverer(committed.db, settings, utc_now, batch=3) for _ in range(2)]

        async def drain(worker: Deliverer) -> int:
            sent = 0
            while outcomes := await worker.run_once():
                sent += len(outcomes)
            return sent

        counts = await asyncio.gather(*(drain(w) for w in workers))
        assert sum(counts) == 12
        ids = [r.headers["allotment-delivery-id"] for r in receiver.requests]
        assert len(ids) == 12 and len(set(ids)) == 12
