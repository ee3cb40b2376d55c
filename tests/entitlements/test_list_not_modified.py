"""``GET .../entitlements`` answers 304 to a client that already holds the current version."""

from __future__ import annotations

import httpx

from tests.factories import make_tenant, make_tenant_key


async def test_matching_if_none_match_gets_304_with_etag_and_no_body(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin)
    key = await make_tenant_key(client, admin, tenant["id"])
    url = f"/api/v1/tenants/{tenant['id']}/entitlements"
    first = await client.get(url, headers=key)
    assert first.status_code == 200
    tag = first.headers["ETag"]

    again = await client.get(url, headers={**key, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.headers["ETag"] == tag
    assert again.content == b""

    weak = await client.get(url, headers={**key, "If-None-Match": f'"999", W/{tag}'})
    assert weak.status_code == 304


async def test_stale_if_none_match_gets_the_new_list(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin)
    url = f"/api/v1/tenants/{tenant['id']}/entitlements"
    old_tag = (await client.get(url, headers=admin)).headers["ETag"]
    saved = await client.put(
        url,
        json={"entitlements": [{"featureId": "docs.internal", "enabled": True}]},
        headers={**admin, "If-Match": old_tag},
    )
    assert saved.status_code == 200, saved.text

    fresh = await client.get(url, headers={**admin, "If-None-Match": old_tag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != old_tag
    by_id = {e["featureId"]: e for e in fresh.json()}
    assert by_id["docs.internal"]["enabled"] is True
    assert by_id["docs.internal"]["source"] == "override"


async def test_if_none_match_does_not_bypass_scope(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    mine = await make_tenant(client, admin, name="Mine")
    other = await make_tenant(client, admin, name="Other")
    key = await make_tenant_key(client, admin, mine["id"])
    url = f"/api/v1/tenants/{other['id']}/entitlements"
    tag = (await client.get(url, headers=admin)).headers["ETag"]
    response = await client.get(url, headers={**key, "If-None-Match": tag})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_matrix_edit_changes_the_etag_without_moving_the_version(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    url = f"/api/v1/tenants/{tenant['id']}/entitlements"
    old_tag = (await client.get(url, headers=admin)).headers["ETag"]
    edited = await client.put(
        "/api/platform/entitlements/plans/starter/advanced_analytics",
        json={"enabled": True, "value": 1},
        headers=admin,
    )
    assert edited.status_code == 200
    fresh = await client.get(url, headers={**admin, "If-None-Match": old_tag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != old_tag
    assert fresh.headers["ETag"].startswith('"1.')  # the edit version did not move
    # ... and the full tag is still a valid If-Match for a save based on version 1.
    saved = await client.put(
        url, json={"entitlements": []}, headers={**admin, "If-Match": fresh.headers["ETag"]}
    )
    assert saved.status_code == 200
