"""Small factories that go through the public API, so tests build state the way clients do."""

from __future__ import annotations

from typing import Any

import httpx


async def make_tenant(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    *,
    name: str = "Acme",
    package_id: str = "professional",
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/tenants", json={"name": name, "packageId": package_id, **extra}, headers=admin
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_tenant_key(
    client: httpx.AsyncClient, admin: dict[str, str], tenant_id: str
) -> dict[str, str]:
    response = await client.post(
        f"/api/v1/tenants/{tenant_id}/api-keys", json={"name": "test"}, headers=admin
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}
