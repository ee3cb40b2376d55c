from __future__ import annotations

import httpx
import pytest

from tests.factories import make_tenant


async def test_create_and_get_tenant(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, name="Acme", package_id="professional")
    assert tenant["name"] == "Acme" and tenant["packageId"] == "professional"
    assert tenant["id"]
    fetched = await client.get(f"/api/v1/tenants/{tenant['id']}", headers=admin)
    assert fetched.status_code == 200 and fetched.json() == tenant
    listed = await client.get("/api/v1/tenants", headers=admin)
    assert tenant["id"] in [t["id"] for t in listed.json()]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"packageId": "free"}, "name"),
        ({"name": "X"}, "packageId"),
        ({"name": "X", "packageId": "gold"}, "packageId"),
        ({"name": "   ", "packageId": "free"}, "name"),
        ({"name": 5, "packageId": "free"}, "name"),
        ({"name": "X", "packageId": "free", "timeZone": "Mars/Base"}, "timeZone"),
    ],
)
async def test_create_tenant_validation(
    client: httpx.AsyncClient, admin: dict, body: dict, field: str
) -> None:
    response = await client.post("/api/v1/tenants", json=body, headers=admin)
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


async def test_change_plan_moves_entitlements(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="free")
    url = f"/api/v1/tenants/{tenant['id']}/entitlements/advanced_analytics"
    assert (await client.get(url, headers=admin)).json()["enabled"] is False
    patched = await client.patch(
        f"/api/v1/tenants/{tenant['id']}", json={"packageId": "enterprise"}, headers=admin
    )
    assert patched.status_code == 200
    assert patched.json()["entitlementsVersion"] == tenant["entitlementsVersion"] + 1
    assert (await client.get(url, headers=admin)).json()["enabled"] is True
