"""Concurrent event batches over the same counters: every event counted once, no deadlock."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from tests.concurrency.conftest import Committed
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
FEATURES = ("ai_posts_limit", "ai_website_analysis", "ai_field_analysis")


async def test_concurrent_batches_count_every_event_once(
    live_client: httpx.AsyncClient, committed: Committed
) -> None:
    tenants = []
    for n in range(3):
        created = await live_client.post(
            "/api/v1/tenants", json={"name": f"ingest-{n}", "packageId": "starter"}, headers=ADMIN
        )
        tenants.append(created.json()["id"])
        committed.tenant_ids.append(tenants[-1])

    def batch(b: int) -> dict[str, list[dict[str, object]]]:
        # Batches overlap in pairs: batch b re-sends half of batch b - 1's events.
        keys = [(b, i) for i in range(100)] + [(b - 1, i) for i in range(100)]
        return {
            "events": [
                {
                    "tenantId": tenants[i % 3],
                    "featureId": FEATURES[(i // 3) % 3],
                    "quantity": "0.5",
                    "idempotencyKey": f"k{n}-{i}",
                }
                for n, i in keys
            ]
        }

    answers = await asyncio.gather(
        *(live_client.post("/api/v1/usage/events", json=batch(b), headers=ADMIN) for b in range(12))
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    accepted = sum(a.json()["accepted"] for a in answers)
    duplicates = sum(a.json()["duplicates"] for a in answers)
    assert accepted == 1300  # keys k-1 .. k11, 100 each
    assert accepted + duplicates == 12 * 200
    async with committed.db.session() as session:
        events, used = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM usage_events WHERE tenant_id = ANY(:t)),"
                    " (SELECT sum(used) FROM meter_counters WHERE tenant_id = ANY(:t))"
                ),
                {"t": tenants},
            )
        ).one()
    assert events == 1300
    assert float(used) == 650.0
