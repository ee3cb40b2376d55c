"""OFREP over plain HTTP: shapes, status codes and scope, per the OFREP OpenAPI document."""

from __future__ import annotations

import httpx

from tests.factories import make_tenant, make_tenant_key

FLAG = "/ofrep/v1/evaluate/flags"


def ctx(tenant_id: object, **extra: object) -> dict[str, object]:
    return {"context": {"targetingKey": tenant_id, **extra}}


async def test_boolean_feature_is_a_boolean_flag(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    starter = await make_tenant(client, admin, package_id="starter")
    key = await make_tenant_key(client, admin, starter["id"])
    on = await client.post(f"{FLAG}/ai_generation", json=ctx(starter["id"]), headers=key)
    off = await client.post(f"{FLAG}/advanced_analytics", json=ctx(starter["id"]), headers=key)
    assert on.status_code == 200, on.text
    assert on.json()["key"] == "ai_generation"
    assert on.json()["value"] is True
    assert on.json()["variant"] == "on"
    assert on.json()["reason"] == "TARGETING_MATCH"
    assert on.json()["metadata"]["packageId"] == "starter"
    assert off.json()["value"] is False
    assert off.json()["variant"] == "off"


async def test_number_feature_is_its_limit(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    pro = await make_tenant(client, admin, package_id="professional")
    ent = await make_tenant(client, admin, package_id="enterprise")
    free = await make_tenant(client, admin, package_id="free")
    answers = {}
    for tenant in (pro, ent, free):
        response = await client.post(
            f"{FLAG}/ai_website_analysis", json=ctx(tenant["id"]), headers=admin
        )
        assert response.status_code == 200, response.text
        answers[tenant["packageId"]] = response.json()
    assert (answers["professional"]["value"], answers["professional"]["variant"]) == (
        100,
        "limited",
    )
    assert (answers["enterprise"]["value"], answers["enterprise"]["variant"]) == (-1, "unlimited")
    assert (answers["free"]["value"], answers["free"]["variant"]) == (0, "off")
    assert all(type(a["value"]) is int for a in answers.values())


async def test_override_follows_the_tenant(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin, package_id="professional")
    saved = await client.put(
        f"/api/v1/tenants/{tenant['id']}/entitlements",
        json={"entitlements": [{"featureId": "ai_posts_limit", "enabled": True, "value": 7}]},
        headers=admin,
    )
    assert saved.status_code == 200, saved.text
    response = await client.post(f"{FLAG}/ai_posts_limit", json=ctx(tenant["id"]), headers=admin)
    assert response.json()["value"] == 7
    assert response.json()["metadata"]["source"] == "override"


async def test_unknown_flag_is_404_flag_not_found(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin)
    response = await client.post(f"{FLAG}/no_such_feature", json=ctx(tenant["id"]), headers=admin)
    assert response.status_code == 404
    body = response.json()
    assert body["key"] == "no_such_feature"
    assert body["errorCode"] == "FLAG_NOT_FOUND"
    assert "no_such_feature" in body["errorDetails"]


async def test_context_errors(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    url = f"{FLAG}/ai_generation"
    cases = [
        ({"context": {}}, "TARGETING_KEY_MISSING"),
        ({}, "TARGETING_KEY_MISSING"),
        (ctx(""), "TARGETING_KEY_MISSING"),
        (ctx(42), "INVALID_CONTEXT"),
        ({"context": "acme"}, "INVALID_CONTEXT"),
        ([1, 2], "INVALID_CONTEXT"),
    ]
    for body, code in cases:
        response = await client.post(url, json=body, headers=admin)
        assert response.status_code == 400, (body, response.text)
        assert response.json() == {
            "key": "ai_generation",
            "errorCode": code,
            "errorDetails": response.json()["errorDetails"],
        }
    broken = await client.post(
        url, content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["errorCode"] == "PARSE_ERROR"


async def test_other_tenant_looks_like_missing_tenant(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    mine = await make_tenant(client, admin, name="Mine")
    other = await make_tenant(client, admin, name="Other")
    key = await make_tenant_key(client, admin, mine["id"])
    foreign = await client.post(f"{FLAG}/ai_generation", json=ctx(other["id"]), headers=key)
    missing = await client.post(f"{FLAG}/ai_generation", json=ctx("no-such-tenant"), headers=key)
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()
    assert foreign.json()["errorCode"] == "INVALID_CONTEXT"


async def test_bearer_key_required(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    tenant = await make_tenant(client, admin)
    anonymous = await client.post(f"{FLAG}/ai_generation", json=ctx(tenant["id"]))
    wrong = await client.post(
        f"{FLAG}/ai_generation", json=ctx(tenant["id"]), headers={"Authorization": "Bearer nope"}
    )
    assert anonymous.status_code == wrong.status_code == 401


async def test_bulk_evaluates_every_feature_with_etag(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    key = await make_tenant_key(client, admin, tenant["id"])
    response = await client.post(FLAG, json=ctx(tenant["id"]), headers=key)
    assert response.status_code == 200, response.text
    flags = {f["key"]: f for f in response.json()["flags"]}
    listed = await client.get(f"/api/v1/tenants/{tenant['id']}/entitlements", headers=key)
    assert set(flags) == {e["featureId"] for e in listed.json()}
    assert flags["ai_generation"]["value"] is True
    assert flags["ai_website_analysis"]["value"] == 10
    tag = response.headers["ETag"]

    unchanged = await client.post(
        FLAG, json=ctx(tenant["id"]), headers={**key, "If-None-Match": tag}
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    await client.put(
        f"/api/v1/tenants/{tenant['id']}/entitlements",
        json={"entitlements": [{"featureId": "advanced_analytics", "enabled": True}]},
        headers=admin,
    )
    changed = await client.post(FLAG, json=ctx(tenant["id"]), headers={**key, "If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert {f["key"]: f["value"] for f in changed.json()["flags"]}["advanced_analytics"] is True


async def test_bulk_errors_have_no_key(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(FLAG, json={"context": {}}, headers=admin)
    assert response.status_code == 400
    assert set(response.json()) == {"errorCode", "errorDetails"}
    assert response.json()["errorCode"] == "TARGETING_KEY_MISSING"


async def test_openapi_documents_both_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "post" in paths["/ofrep/v1/evaluate/flags/{key}"]
    assert "post" in paths["/ofrep/v1/evaluate/flags"]
