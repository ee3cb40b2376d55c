from __future__ import annotations

import httpx

from tests.factories import make_tenant, make_tenant_key


async def _partner(
    client: httpx.AsyncClient, admin: dict[str, str], name: str = "Resellers"
) -> str:
    response = await client.post("/api/v1/partners", json={"name": name}, headers=admin)
    assert response.status_code == 201, response.text
    partner_id: str = response.json()["id"]
    return partner_id


async def test_partners_and_their_assigned_clients(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin)
    partner_id = await _partner(client, admin)
    assigned = await client.post(
        f"/api/v1/partners/{partner_id}/assignments", json={"tenantId": tenant["id"]}, headers=admin
    )
    assert assigned.status_code == 201
    assert assigned.json()["tenantIds"] == [tenant["id"]]
    again = await client.post(
        f"/api/v1/partners/{partner_id}/assignments", json={"tenantId": tenant["id"]}, headers=admin
    )
    assert again.json()["tenantIds"] == [tenant["id"]]
    listed = await client.get("/api/v1/partners", headers=admin)
    assert [p["name"] for p in listed.json()] == ["Resellers"]
    removed = await client.delete(
        f"/api/v1/partners/{partner_id}/assignments/{tenant['id']}", headers=admin
    )
    assert removed.status_code == 204
    gone = await client.delete(
        f"/api/v1/partners/{partner_id}/assignments/{tenant['id']}", headers=admin
    )
    assert gone.status_code == 404
    assert (await client.get(f"/api/v1/partners/{partner_id}", headers=admin)).json()[
        "tenantIds"
    ] == []


async def test_partner_names_are_unique_and_assignments_need_a_real_tenant(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    partner_id = await _partner(client, admin)
    duplicate = await client.post("/api/v1/partners", json={"name": "Resellers"}, headers=admin)
    assert duplicate.status_code == 409
    unknown = await client.post(
        f"/api/v1/partners/{partner_id}/assignments", json={"tenantId": "ten_nope"}, headers=admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "tenantId"


async def test_users_need_the_scope_their_role_implies(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin)
    partner_id = await _partner(client, admin)
    cases = [
        ({"role": "client_admin"}, "tenantId"),
        ({"role": "client_admin", "tenantId": tenant["id"], "partnerId": partner_id}, "partnerId"),
        ({"role": "partner_admin"}, "partnerId"),
        ({"role": "partner_user", "partnerId": partner_id, "tenantId": tenant["id"]}, "tenantId"),
        ({"role": "platform_admin", "tenantId": tenant["id"]}, "tenantId"),
        ({"role": "tenant_service"}, "role"),
        ({"role": "client_staff", "tenantId": "ten_nope"}, "tenantId"),
    ]
    for extra, field in cases:
        body = {"email": "someone@example.test", "password": "secret", **extra}
        response = await client.post("/api/v1/users", json=body, headers=admin)
        assert response.status_code == 422, (extra, response.text)
        assert field in {d["field"] for d in response.json()["error"]["details"]}, extra


async def test_users_are_created_listed_updated_and_deleted(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin)
    made = await client.post(
        "/api/v1/users",
        json={
            "email": " Ada@Example.TEST ",
            "password": "secret",
            "role": "client_manager",
            "tenantId": tenant["id"],
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    user = made.json()
    assert user["email"] == "ada@example.test"
    assert "password" not in user and "passwordHash" not in user
    duplicate = await client.post(
        "/api/v1/users",
        json={"email": "ADA@example.test", "password": "other", "role": "platform_admin"},
        headers=admin,
    )
    assert duplicate.status_code == 409
    listed = await client.get(f"/api/v1/users?tenantId={tenant['id']}", headers=admin)
    assert [u["email"] for u in listed.json()] == ["ada@example.test"]
    disabled = await client.patch(
        f"/api/v1/users/{user['id']}", json={"disabled": True}, headers=admin
    )
    assert disabled.json()["disabledAt"] is not None
    assert (await client.delete(f"/api/v1/users/{user['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/api/v1/users/{user['id']}", headers=admin)).status_code == 404


async def test_only_platform_admins_manage_people(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin)
    tenant_key = await make_tenant_key(client, admin, tenant["id"])
    for method, path in (
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("GET", "/api/v1/partners"),
        ("POST", "/api/v1/partners"),
    ):
        response = await client.request(method, path, json={}, headers=tenant_key)
        assert response.status_code == 403, (method, path)
        anonymous = await client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path)
