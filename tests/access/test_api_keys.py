"""Keys: shown once, stored hashed, revocable; 401 / 403 / 404 as the issue sets out."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from allotment.access.keys import hash_key
from allotment.access.models import ApiKey
from allotment.db.session import Database
from tests.factories import make_tenant, make_tenant_key

FEATURES = "/api/platform/entitlements/features"


async def test_missing_or_wrong_key_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = await client.get(FEATURES, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_tenant_key_on_platform_route_is_403(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    key = await make_tenant_key(client, admin, tenant["id"])
    assert (await client.get(FEATURES, headers=key)).status_code == 403
    response = await client.post(
        "/api/v1/tenants", json={"name": "X", "packageId": "free"}, headers=key
    )
    assert response.status_code == 403


async def test_key_is_shown_once_and_stored_hashed(
    client: httpx.AsyncClient, admin: dict, db: Database
) -> None:
    tenant = await make_tenant(client, admin)
    created = (
        await client.post(
            f"/api/v1/tenants/{tenant['id']}/api-keys", json={"name": "ci"}, headers=admin
        )
    ).json()
    secret = created["key"]
    assert secret.startswith(created["prefix"]) and len(secret) > 30
    listed = (await client.get(f"/api/v1/tenants/{tenant['id']}/api-keys", headers=admin)).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert all("key" not in k for k in listed)
    async with db.session() as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.id == created["id"]))).scalar_one()
    assert row.key_hash == hash_key(secret) and secret not in row.key_hash


async def test_revoked_key_stops_working_at_once(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    created = (await client.post(f"/api/v1/tenants/{tenant['id']}/api-keys", headers=admin)).json()
    key = {"Authorization": f"Bearer {created['key']}"}
    url = f"/api/v1/tenants/{tenant['id']}/entitlements/ai_generation"
    assert (await client.get(url, headers=key)).status_code == 200
    revoked = await client.delete(
        f"/api/v1/tenants/{tenant['id']}/api-keys/{created['id']}", headers=admin
    )
    assert revoked.status_code == 200 and revoked.json()["revokedAt"] is not None
    assert (await client.get(url, headers=key)).status_code == 401


async def test_other_tenant_is_indistinguishable_from_missing(
    client: httpx.AsyncClient, admin: dict
) -> None:
    mine = await make_tenant(client, admin, name="Mine")
    other = await make_tenant(client, admin, name="Other")
    key = await make_tenant_key(client, admin, mine["id"])
    for suffix in ("", "/entitlements", "/entitlements/ai_generation", "/overrides", "/api-keys"):
        hidden = await client.get(f"/api/v1/tenants/{other['id']}{suffix}", headers=key)
        missing = await client.get(f"/api/v1/tenants/ten_doesnotexist{suffix}", headers=key)
        assert hidden.status_code == missing.status_code == 404, suffix
        assert hidden.content == missing.content, suffix
    own = await client.get(f"/api/v1/tenants/{mine['id']}", headers=key)
    assert own.status_code == 200
    listed = (await client.get("/api/v1/tenants", headers=key)).json()
    assert [t["id"] for t in listed] == [mine["id"]]


async def test_platform_keys_can_be_made_and_used(client: httpx.AsyncClient, admin: dict) -> None:
    created = await client.post("/api/v1/api-keys", json={"name": "ops"}, headers=admin)
    assert created.status_code == 201
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    assert (await client.get(FEATURES, headers=key)).status_code == 200
