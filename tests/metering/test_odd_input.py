"""Whatever a caller sends, the answer is a 2xx or a 4xx with a reason, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import make_tenant

ODD_CONSUMES: list[Any] = [
    {"idempotencyKey": "k", "amount": True},
    {"idempotencyKey": "k", "amount": None},
    {"idempotencyKey": "k", "amount": [1]},
    {"idempotencyKey": "k", "amount": "1e400"},
    {"idempotencyKey": "k", "amount": 1e308},
    {"idempotencyKey": "", "amount": 1},
    {"idempotencyKey": "k" * 201},
    {"idempotencyKey": 5},
    {"idempotencyKey": "k", "key": ""},
    {"idempotencyKey": "k", "userId": "u" * 201},
    [],
    "text",
    None,
]

ODD_EVENTS: list[Any] = [
    {"tenantId": "t" * 300, "featureId": "ai_posts_limit", "idempotencyKey": "a"},
    {"tenantId": None, "featureId": None, "idempotencyKey": None},
    {"events": [None, 1, "x", [], {}]},
    {"events": [{"tenantId": "x", "featureId": "f" * 500, "idempotencyKey": "a"}]},
    {"events": [{"quantity": {"a": 1}, "tenantId": "x", "featureId": "y", "idempotencyKey": "z"}]},
    {"events": [{"quantity": 10**30, "tenantId": "x", "featureId": "y", "idempotencyKey": "z"}]},
    {"events": [{"timestamp": 12345, "tenantId": "x", "featureId": "y", "idempotencyKey": "z"}]},
    {"events": None},
    "just a string",
    12,
]


@pytest.mark.parametrize("body", ODD_CONSUMES)
async def test_odd_consume_bodies(client: httpx.AsyncClient, admin: dict, body: Any) -> None:
    tenant = await make_tenant(client, admin)
    for path in (
        f"/api/v1/tenants/{tenant['id']}/features/ai_posts_limit/consume",
        f"/api/v1/tenants/{tenant['id']}/actions/POSTS_LIMIT/check",
    ):
        response = await client.post(path, json=body, headers=admin)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["error"]["message"]


@pytest.mark.parametrize("body", ODD_EVENTS)
async def test_odd_event_bodies(client: httpx.AsyncClient, admin: dict, body: Any) -> None:
    response = await client.post("/api/v1/usage/events", json=body, headers=admin)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert response.json()["accepted"] == 0
