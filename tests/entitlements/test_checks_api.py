"""Runtime checks over HTTP, and saving tenant entitlements with optimistic concurrency."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from allotment.db.session import Database
from tests.factories import make_tenant, make_tenant_key


async def test_check_shape_and_sources(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    base = f"/api/v1/tenants/{tenant['id']}/entitlements"
    one = await client.get(f"{base}/ai_posts_limit", headers=admin)
    assert one.status_code == 200
    assert one.json() == {
        "featureId": "ai_posts_limit",
        "type": "NUMBER",
        "enabled": True,
        "value": 50,
        "source": "plan",
    }
    listing = await client.get(base, headers=admin)
    assert listing.status_code == 200
    assert listing.headers["etag"].startswith('"1.')
    assert {e["featureId"] for e in listing.json()} >= {"ai_generation", "user_seats"}


async def test_unknown_feature_is_404(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    response = await client.get(f"/api/v1/tenants/{tenant['id']}/entitlements/nope", headers=admin)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Feature not found."


async def test_feature_with_no_cell_uses_its_default(
    client: httpx.AsyncClient, admin: dict
) -> None:
    await client.post(
        "/api/platform/entitlements/features",
        json={"id": "beta_ui", "name": "Beta UI", "defaultEnabled": True},
        headers=admin,
    )
    tenant = await make_tenant(client, admin)
    body = (
        await client.get(f"/api/v1/tenants/{tenant['id']}/entitlements/beta_ui", headers=admin)
    ).json()
    assert (body["enabled"], body["source"]) == (True, "default")


async def test_warm_check_runs_no_sql(
    app: FastAPI, client: httpx.AsyncClient, admin: dict, db: Database
) -> None:
    tenant = await make_tenant(client, admin)
    key = await make_tenant_key(client, admin, tenant["id"])
    url = f"/api/v1/tenants/{tenant['id']}/entitlements/ai_generation"
    assert (await client.get(url, headers=key)).status_code == 200  # cold: loads once
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        for _ in range(20):
            assert (await client.get(url, headers=key)).status_code == 200
        assert await app.state.entitlements.check_entitlement("ai_generation", tenant["id"]) is True
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert statements == []


async def test_changes_are_seen_by_the_next_check(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    tid = tenant["id"]
    url = f"/api/v1/tenants/{tid}/entitlements/advanced_analytics"
    assert (await client.get(url, headers=admin)).json()["enabled"] is False
    # matrix cell
    await client.put(
        "/api/platform/entitlements/plans/starter/advanced_analytics",
        json={"enabled": True, "value": 1},
        headers=admin,
    )
    assert (await client.get(url, headers=admin)).json()["enabled"] is True
    # tenant override
    saved = await client.put(
        f"/api/v1/tenants/{tid}/entitlements",
        json={"entitlements": [{"featureId": "advanced_analytics", "enabled": False}]},
        headers=admin,
    )
    assert saved.status_code == 200
    body = (await client.get(url, headers=admin)).json()
    assert (body["enabled"], body["source"]) == (False, "override")
    # the tenant's plan
    await client.patch(f"/api/v1/tenants/{tid}", json={"packageId": "enterprise"}, headers=admin)
    assert (
        await client.get(f"/api/v1/tenants/{tid}/entitlements/user_seats", headers=admin)
    ).json()["value"] == -1
    # a new feature in the catalog
    await client.post(
        "/api/platform/entitlements/features",
        json={"id": "sso", "name": "SSO", "defaultEnabled": True},
        headers=admin,
    )
    assert (
        await client.get(f"/api/v1/tenants/{tid}/entitlements/sso", headers=admin)
    ).status_code == 200


async def test_save_with_stale_version_is_409_with_current_version(
    client: httpx.AsyncClient, admin: dict
) -> None:
    tenant = await make_tenant(client, admin)
    url = f"/api/v1/tenants/{tenant['id']}/entitlements"
    change = {"entitlements": [{"featureId": "user_seats", "enabled": True, "value": 7}]}
    first = await client.put(url, json=change, headers={**admin, "If-Match": '"1"'})
    assert first.status_code == 200 and first.headers["etag"].startswith('"2.')
    stale = await client.put(url, json=change, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["error"]["details"] == {"currentVersion": 2}
    assert "Refresh" in stale.json()["error"]["message"]
    via_body = await client.put(url, json={**change, "version": 2}, headers=admin)
    assert via_body.status_code == 200


async def test_save_rejects_format_rule_and_saves_nothing(
    client: httpx.AsyncClient, admin: dict
) -> None:
    tenant = await make_tenant(client, admin, package_id="professional")
    url = f"/api/v1/tenants/{tenant['id']}/entitlements"
    formats_off = [
        {"featureId": f"transcript_export.{f}", "enabled": False} for f in ("csv", "txt", "pdf")
    ]
    bad = await client.put(
        url,
        json={"entitlements": [{"featureId": "transcript_export", "enabled": True}, *formats_off]},
        headers=admin,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == [
        {
            "field": "transcript_export",
            "message": "If transcript export is enabled, at least one format must be selected.",
        }
    ]
    bad2 = await client.put(
        url,
        json={
            "entitlements": [
                {"featureId": "transcript_export", "enabled": False},
                {"featureId": "transcript_export.csv", "enabled": True},
            ]
        },
        headers=admin,
    )
    assert bad2.status_code == 422
    assert (
        bad2.json()["error"]["message"]
        == "If transcript export is disabled, no formats can be selected."
    )
    overrides = (
        await client.get(f"/api/v1/tenants/{tenant['id']}/overrides", headers=admin)
    ).json()
    assert overrides == {"tenantId": tenant["id"], "version": 1, "overrides": []}


async def test_setting_plan_value_removes_override(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    url = f"/api/v1/tenants/{tenant['id']}/entitlements"
    await client.put(
        url,
        json={"entitlements": [{"featureId": "user_seats", "enabled": True, "value": 99}]},
        headers=admin,
    )
    listed = (await client.get(f"/api/v1/tenants/{tenant['id']}/overrides", headers=admin)).json()
    assert [(o["featureId"], o["value"]) for o in listed["overrides"]] == [("user_seats", 99)]
    await client.put(
        url,
        json={"entitlements": [{"featureId": "user_seats", "enabled": True, "value": 10}]},
        headers=admin,
    )
    listed = (await client.get(f"/api/v1/tenants/{tenant['id']}/overrides", headers=admin)).json()
    assert listed["overrides"] == [] and listed["version"] == 3


async def test_unknown_feature_in_save_is_422(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    response = await client.put(
        f"/api/v1/tenants/{tenant['id']}/entitlements",
        json={"entitlements": [{"featureId": "ghost", "enabled": True}]},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "entitlements.0.featureId"


async def test_tenant_key_may_check_but_not_edit(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    key = await make_tenant_key(client, admin, tenant["id"])
    url = f"/api/v1/tenants/{tenant['id']}/entitlements"
    assert (await client.get(url, headers=key)).status_code == 200
    response = await client.put(url, json={"entitlements": []}, headers=key)
    assert response.status_code == 403
