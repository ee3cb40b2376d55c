"""Threshold webhooks, delivered to a real HTTP receiver on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from allotment.kit.clock import FrozenClock
from allotment.metering.signing import HEADER, verify
from allotment.metering.webhooks_delivery import Deliverer, backoff
from tests.factories import make_tenant, make_tenant_key
from tests.metering.receiver import Receiver, running_receiver

FEATURE = "ai_website_analysis"  # starter: 10 a month


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as r:
        yield r


async def _consume(client: httpx.AsyncClient, admin: dict, tenant_id: str, n: int, tag: str) -> Any:
    last = None
    for i in range(n):
        last = await client.post(
            f"/api/v1/tenants/{tenant_id}/features/{FEATURE}/consume",
            json={"idempotencyKey": f"{tag}-{i}"},
            headers=admin,
        )
        assert last.status_code == 200
    return last.json() if last else None


async def _hook(
    client: httpx.AsyncClient, headers: dict, url: str, tenant_id: str | None = None
) -> dict[str, Any]:
    path = f"/api/v1/tenants/{tenant_id}/webhooks" if tenant_id else "/api/v1/webhooks"
    response = await client.post(path, json={"url": url + "/hook"}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_crossing_80_and_100_delivers_signed_events_once(
    app: FastAPI, client: httpx.AsyncClient, admin: dict, receiver: Receiver, clock: FrozenClock
) -> None:
    deliverer: Deliverer = app.state.webhooks
    tenant = await make_tenant(client, admin, package_id="starter")
    hook = await _hook(client, admin, receiver.url, tenant["id"])
    assert hook["secret"].startswith("whsec_")
    listed = (await client.get(f"/api/v1/tenants/{tenant['id']}/webhooks", headers=admin)).json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]

    await _consume(client, admin, tenant["id"], 7, "a")
    assert await deliverer.run_once() == []
    await _consume(client, admin, tenant["id"], 1, "b")  # 8 of 10
    outcomes = await deliverer.run_once()
    assert [o.ok for o in outcomes] == [True]
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent.path == "/hook"
    now = int(clock().timestamp())
    assert verify(hook["secret"], sent.headers[HEADER.lower()], sent.body, now=now)
    assert not verify("whsec_wrong", sent.headers[HEADER.lower()], sent.body, now=now)
    assert not verify(hook["secret"], sent.headers[HEADER.lower()], sent.body, now=now + 3600)
    event = orjson.loads(sent.body)
    assert event["type"] == "usage.threshold_crossed"
    assert event["data"] | {} == {
        "tenantId": tenant["id"],
        "featureId": FEATURE,
        "threshold": 80,
        "used": 8,
        "limit": 10,
        "key": None,
        "windowStart": "2026-03-01T00:00:00Z",
        "windowEnd": "2026-04-01T00:00:00Z",
    }

    await _consume(client, admin, tenant["id"], 4, "c")  # 10 of 10, then two denied
    await deliverer.run_once()
    thresholds = [orjson.loads(r.body)["data"]["threshold"] for r in receiver.requests]
    assert thresholds == [80, 100]

    # A raised limit lets the counter cross 80 % again in the same window: still no second event.
    await client.put(
        f"/api/v1/tenants/{tenant['id']}/entitlements",
        json={"entitlements": [{"featureId": FEATURE, "enabled": True, "value": 12}]},
        headers=admin,
    )
    await _consume(client, admin, tenant["id"], 2, "d")
    assert await deliverer.run_once() == []

    log = await client.get(
        f"/api/v1/tenants/{tenant['id']}/webhooks/{hook['id']}/deliveries", headers=admin
    )
    assert log.status_code == 200
    assert [(d["status"], d["attempts"], d["lastStatusCode"]) for d in log.json()] == [
        ("delivered", 1, 200),
        ("delivered", 1, 200),
    ]


async def test_failed_delivery_is_retried_with_backoff(
    app: FastAPI, client: httpx.AsyncClient, admin: dict, receiver: Receiver, clock: FrozenClock
) -> None:
    deliverer: Deliverer = app.state.webhooks
    tenant = await make_tenant(client, admin, package_id="starter")
    hook = await _hook(client, admin, receiver.url)  # platform-wide: hears every tenant
    receiver.script = [500, 503]
    await _consume(client, admin, tenant["id"], 8, "a")

    assert [o.status_code for o in await deliverer.run_once()] == [500]
    assert await deliverer.run_once() == []  # not due yet
    clock.advance(backoff(app.state.settings.webhook_backoff_seconds, 1))
    assert [o.status_code for o in await deliverer.run_once()] == [503]
    clock.advance(timedelta(seconds=1))
    assert await deliverer.run_once() == []  # the second wait is twice as long
    clock.advance(backoff(app.state.settings.webhook_backoff_seconds, 2))
    assert [o.ok for o in await deliverer.run_once()] == [True]
    bodies = {r.body for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1  # the same event each time

    log = (await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin)).json()
    assert (log[0]["status"], log[0]["attempts"], log[0]["lastStatusCode"]) == ("delivered", 3, 200)


async def test_unreachable_endpoint_never_fails_the_consume(
    app: FastAPI, client: httpx.AsyncClient, admin: dict
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    app.state.settings.webhook_max_attempts = 1
    try:
        await _hook(client, admin, "http://127.0.0.1:9", tenant["id"])  # discard port: refused
        answer = await _consume(client, admin, tenant["id"], 8, "a")
        assert answer == {"allowed": True, "remaining": 2, "limit": 10, "used": 8}
        outcomes = await app.state.webhooks.run_once()
        assert [o.ok for o in outcomes] == [False]
        assert outcomes[0].error
    finally:
        app.state.settings.webhook_max_attempts = 8
    hooks = (await client.get(f"/api/v1/tenants/{tenant['id']}/webhooks", headers=admin)).json()
    log = (
        await client.get(
            f"/api/v1/tenants/{tenant['id']}/webhooks/{hooks[0]['id']}/deliveries", headers=admin
        )
    ).json()
    assert log[0]["status"] == "failed"


async def test_webhook_scope_and_validation(client: httpx.AsyncClient, admin: dict) -> None:
    mine = await make_tenant(client, admin, name="Mine")
    other = await make_tenant(client, admin, name="Other")
    key = await make_tenant_key(client, admin, mine["id"])
    hook = await _hook(client, key, "http://127.0.0.1:19999", mine["id"])
    assert hook["tenantId"] == mine["id"]
    assert (
        await client.post("/api/v1/webhooks", json={"url": "http://x.test"}, headers=key)
    ).status_code == 403
    foreign = await client.get(f"/api/v1/tenants/{other['id']}/webhooks", headers=key)
    assert foreign.status_code == 404
    wrong_tenant = await client.delete(
        f"/api/v1/tenants/{other['id']}/webhooks/{hook['id']}", headers=admin
    )
    assert wrong_tenant.status_code == 404
    bad = await client.post(
        f"/api/v1/tenants/{mine['id']}/webhooks", json={"url": "not a url"}, headers=key
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "url"
    gone = await client.delete(f"/api/v1/tenants/{mine['id']}/webhooks/{hook['id']}", headers=key)
    assert gone.status_code == 204
    assert (await client.get(f"/api/v1/tenants/{mine['id']}/webhooks", headers=key)).json() == []


async def test_each_six_hour_session_crosses_on_its_own(
    app: FastAPI, client: httpx.AsyncClient, admin: dict, receiver: Receiver, clock: FrozenClock
) -> None:
    response = await client.post(
        "/api/platform/entitlements/features",
        json={
            "id": "ai_session_spend",
            "name": "Session spend",
            "type": "number",
            "resetPeriod": "session_6h",
            "defaultEnabled": True,
            "defaultValue": 5,
        },
        headers=admin,
    )
    assert response.status_code == 201
    tenant = await make_tenant(client, admin)
    await _hook(client, admin, receiver.url, tenant["id"])
    url = f"/api/v1/tenants/{tenant['id']}/features/ai_session_spend/consume"
    for session_no in range(2):
        for i in range(4):  # 4 of 5: 80 %
            await client.post(url, json={"idempotencyKey": f"{session_no}-{i}"}, headers=admin)
        clock.advance(timedelta(hours=6))
    await app.state.webhooks.run_once()
    events = [orjson.loads(r.body)["data"] for r in receiver.requests]
    # Both are sent in one round, concurrently: their arrival order is not fixed.
    assert sorted((e["threshold"], e["windowStart"]) for e in events) == [
        (80, "2026-03-15T12:00:00Z"),
        (80, "2026-03-15T18:00:00Z"),
    ]
