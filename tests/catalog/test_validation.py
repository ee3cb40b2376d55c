"""Bad input gets a clear error naming the field, and nothing is stored."""

from __future__ import annotations

import httpx
import pytest

FEATURES = "/api/platform/entitlements/features"


async def test_duplicate_feature_is_409(client: httpx.AsyncClient, admin: dict) -> None:
    response = await client.post(
        FEATURES, json={"id": "ai_generation", "name": "Again"}, headers=admin
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    listed = (await client.get(FEATURES, headers=admin)).json()
    assert [f["name"] for f in listed if f["id"] == "ai_generation"] == ["AI Content Generation"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No id"}, "id"),
        ({"id": "no_name"}, "name"),
        ({"id": "x", "name": "X", "type": "string"}, "type"),
        ({"id": "x", "name": "X", "type": 3}, "type"),
        ({"id": "x", "name": "X", "defaultEnabled": "yes"}, "defaultEnabled"),
        ({"id": "x", "name": "X", "defaultValue": "10"}, "defaultValue"),
        ({"id": "x", "name": "X", "defaultValue": 1.5}, "defaultValue"),
        ({"id": "x", "name": "X", "defaultValue": -2}, "defaultValue"),
        ({"id": "has space", "name": "X"}, "id"),
        ({"id": "", "name": "X"}, "id"),
        ({"id": "x", "name": "X", "resetPeriod": "fortnight"}, "resetPeriod"),
        ({"id": "x", "name": "X", "parent": "no_such_parent"}, "parent"),
    ],
)
async def test_bad_feature_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: dict, body: dict, field: str
) -> None:
    response = await client.post(FEATURES, json=body, headers=admin)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert field in [d["field"] for d in error["details"]]
    assert error["message"]


async def test_malformed_json_is_a_clear_400(client: httpx.AsyncClient, admin: dict) -> None:
    response = await client.post(
        FEATURES, content=b'{"id": ', headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body is not valid JSON."


async def test_non_object_body_is_422(client: httpx.AsyncClient, admin: dict) -> None:
    response = await client.post(FEATURES, json=[1, 2], headers=admin)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/plans/gold/ai_generation", "Package not found."),
        ("/plans/free/no_such_feature", "Feature not found."),
    ],
)
async def test_put_cell_unknown_package_or_feature_is_404(
    client: httpx.AsyncClient, admin: dict, path: str, message: str
) -> None:
    response = await client.put(
        f"/api/platform/entitlements{path}", json={"enabled": True}, headers=admin
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "enabled"),
        ({"value": 5}, "enabled"),
        ({"enabled": "true"}, "enabled"),
        ({"enabled": True, "value": -2}, "value"),
        ({"enabled": True, "value": "5"}, "value"),
    ],
)
async def test_put_cell_validation(
    client: httpx.AsyncClient, admin: dict, body: dict, field: str
) -> None:
    response = await client.put(
        "/api/platform/entitlements/plans/free/ai_posts_limit", json=body, headers=admin
    )
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


async def test_put_cell_with_stale_if_match_is_409(client: httpx.AsyncClient, admin: dict) -> None:
    url = "/api/platform/entitlements/plans/free/ai_posts_limit"
    ok = await client.put(
        url, json={"enabled": True, "value": 9}, headers={**admin, "If-Match": '"1"'}
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = await client.put(
        url, json={"enabled": True, "value": 3}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["details"] == {"currentVersion": 2}
    bad = await client.put(url, json={"enabled": True}, headers={**admin, "If-Match": "abc"})
    assert bad.status_code == 422


async def test_child_feature_can_be_created_under_a_parent(
    client: httpx.AsyncClient, admin: dict
) -> None:
    response = await client.post(
        FEATURES,
        json={"id": "transcript_export.docx", "name": "DOCX", "parent": "transcript_export"},
        headers=admin,
    )
    assert response.status_code == 201 and response.json()["parent"] == "transcript_export"
    grandchild = await client.post(
        FEATURES,
        json={"id": "transcript_export.docx.a", "name": "A", "parent": "transcript_export.docx"},
        headers=admin,
    )
    assert grandchild.status_code == 422
