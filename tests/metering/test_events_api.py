"""POST /api/v1/usage/events: batches, duplicates, per-event rejections, counters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from allotment.db.session import Database
from allotment.kit.clock import FrozenClock
from allotment.metering.models import UsageEvent
from tests.factories import make_tenant, make_tenant_key

URL = "/api/v1/usage/events"


def event(tenant_id: str, idem: str, **extra: Any) -> dict[str, Any]:
    return {"tenantId": tenant_id, "featureId": "ai_posts_limit", "idempotencyKey": idem, **extra}


async def _used(client: httpx.AsyncClient, admin: dict, tenant_id: str, feature: str) -> Any:
    body = (await client.get(f"/api/v1/tenants/{tenant_id}/usage", headers=admin)).json()
    return next(f for f in body["features"] if f["featureId"] == feature)["used"]


async def test_single_event_and_batch(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    single = await client.post(URL, json=event(tenant["id"], "e0", quantity=2), headers=admin)
    assert single.status_code == 200
    assert single.json() == {"accepted": 1, "duplicates": 0, "rejected": 0, "rejections": []}
    batch = [event(tenant["id"], f"e{i}", quantity="1.5") for i in range(1, 101)]
    response = await client.post(URL, json={"events": batch}, headers=admin)
    assert response.json()["accepted"] == 100
    assert await _used(client, admin, tenant["id"], "ai_posts_limit") == 152


async def test_retried_events_count_once(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    batch = {"events": [event(tenant["id"], f"r{i}") for i in range(10)]}
    first = await client.post(URL, json=batch, headers=admin)
    again = await client.post(URL, json=batch, headers=admin)
    inside = await client.post(
        URL, json={"events": [event(tenant["id"], "x"), event(tenant["id"], "x")]}, headers=admin
    )
    assert (first.json()["accepted"], first.json()["duplicates"]) == (10, 0)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 10)
    assert (inside.json()["accepted"], inside.json()["duplicates"]) == (1, 1)
    assert await _used(client, admin, tenant["id"], "ai_posts_limit") == 11


async def test_rejections_name_index_and_reason(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    t = tenant["id"]
    events = [
        event(t, "ok", quantity=1),
        event(t, "nan", quantity="NaN"),
        event(t, "inf", quantity="-Infinity"),
        event(t, "neg", quantity=-3),
        {"tenantId": t, "featureId": "ai_posts_limit"},
        event(t, "late", timestamp="2026-01-01T00:00:00Z"),
        event(t, "future", timestamp="2026-03-16T12:00:00Z"),
        event("ten_nobody", "who"),
        {**event(t, "bool"), "featureId": "ai_generation"},
        {**event(t, "perkey"), "featureId": "ai_chat_messages_per_session"},
        "not an object",
        event(t, "ts", timestamp="yesterday"),
        event(t, "bool-qty", quantity=True),
    ]
    body = (await client.post(URL, json={"events": events}, headers=admin)).json()
    assert (body["accepted"], body["rejected"]) == (1, 12)
    reasons = {r["index"]: r["reason"] for r in body["rejections"]}
    assert sorted(reasons) == list(range(1, 13))
    assert "finite" in reasons[1] and "finite" in reasons[2]
    assert "negative" in reasons[3]
    assert "idempotencyKey" in reasons[4]
    assert "lateness" in reasons[5]
    assert "future" in reasons[6]
    assert reasons[7] == "Tenant not found."
    assert "not metered" in reasons[8]
    assert "key" in reasons[9]
    assert body["rejections"][0]["idempotencyKey"] == "nan"


async def test_tenant_key_cannot_send_other_tenants_events(
    client: httpx.AsyncClient, admin: dict
) -> None:
    mine = await make_tenant(client, admin, name="Mine")
    other = await make_tenant(client, admin, name="Other")
    key = await make_tenant_key(client, admin, mine["id"])
    body = (
        await client.post(
            URL,
            json={"events": [event(mine["id"], "a"), event(other["id"], "b")]},
            headers=key,
        )
    ).json()
    assert body["accepted"] == 1
    assert body["rejections"] == [
        {"index": 1, "idempotencyKey": "b", "reason": "Tenant not found."}
    ]
    assert await _used(client, admin, other["id"], "ai_posts_limit") == 0


async def test_backdated_event_counts_in_its_own_month(
    client: httpx.AsyncClient, admin: dict, clock: FrozenClock
) -> None:
    clock.at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    tenant = await make_tenant(client, admin)
    late = event(tenant["id"], "feb", quantity=5, timestamp="2026-02-28T23:00:00+00:00")
    body = (await client.post(URL, json=late, headers=admin)).json()
    assert body["accepted"] == 1
    assert await _used(client, admin, tenant["id"], "ai_posts_limit") == 0


async def test_malformed_bodies(client: httpx.AsyncClient, admin: dict) -> None:
    bad_json = await client.post(
        URL, content=b"{nope", headers={**admin, "content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["code"] == "malformed_json"
    for payload, field in (
        ([1, 2], "body"),
        ({"events": "x"}, "events"),
        ({"events": []}, "events"),
        ({"events": [{}] * 1001}, "events"),
    ):
        response = await client.post(URL, json=payload, headers=admin)
        assert response.status_code == 422, payload
        assert response.json()["error"]["details"][0]["field"] == field


async def test_per_key_events_feed_the_key_counter(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    feature = "ai_chat_messages_per_session"
    events = [
        {**event(tenant["id"], f"m{i}"), "featureId": feature, "key": "chat-9"} for i in range(3)
    ]
    await client.post(URL, json={"events": events}, headers=admin)
    response = await client.post(
        f"/api/v1/tenants/{tenant['id']}/features/{feature}/consume",
        json={"idempotencyKey": "c", "key": "chat-9"},
        headers=admin,
    )
    assert response.json()["used"] == 4


async def test_stored_events_keep_their_quantity_and_moment(
    client: httpx.AsyncClient, admin: dict, clock: FrozenClock, db: Database
) -> None:
    clock.at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    tenant = await make_tenant(client, admin)
    events = [
        event(tenant["id"], "now", quantity=3),
        event(tenant["id"], "frac", quantity="0.000125"),
        event(tenant["id"], "exp", quantity="1e2"),
        event(tenant["id"], "then", quantity=2, timestamp="2026-03-01T22:30:00+02:00"),
    ]
    body = (await client.post(URL, json={"events": events}, headers=admin)).json()
    assert body["accepted"] == 4
    async with db.session() as session:
        rows = (
            await session.execute(
                select(UsageEvent.idempotency_key, UsageEvent.quantity, UsageEvent.occurred_at)
                .where(UsageEvent.tenant_id == tenant["id"])
                .order_by(UsageEvent.idempotency_key)
            )
        ).all()
    assert [(k, Decimal(q), at) for k, q, at in rows] == [
        ("exp", Decimal(100), clock.at),
        ("frac", Decimal("0.000125"), clock.at),
        ("now", Decimal(3), clock.at),
        ("then", Decimal(2), datetime(2026, 3, 1, 20, 30, tzinfo=UTC)),
    ]
    assert await _used(client, admin, tenant["id"], "ai_posts_limit") == 105.000125
