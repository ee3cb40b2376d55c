"""The seed's JSON examples, field by field."""

from __future__ import annotations

import httpx

SEEDED = {
    "ai_generation": ("AI Content Generation", "BOOLEAN"),
    "advanced_analytics": ("Advanced Analytics", "BOOLEAN"),
    "team_collaboration": ("Team Collaboration", "BOOLEAN"),
    "ai_posts_limit": ("Monthly AI Posts Limit", "NUMBER"),
    "social_accounts_limit": ("Social Accounts Limit", "NUMBER"),
    "docs.client": ("Docs: Client", "BOOLEAN"),
    "docs.api": ("Docs: API", "BOOLEAN"),
    "docs.internal": ("Docs: Internal", "BOOLEAN"),
    "docs.ai": ("Docs: AI", "BOOLEAN"),
    "ai_website_analysis": ("Website Analysis", "NUMBER"),
    "ai_field_analysis": ("Field Analysis", "NUMBER"),
    "ai_one_shot_refinement": ("One-Shot Refinement", "NUMBER"),
    "ai_chat_sessions": ("Chat Sessions", "NUMBER"),
    "ai_chat_messages_per_session": ("Messages Per Chat Session", "NUMBER"),
}


async def test_list_features_matches_seed_example(client: httpx.AsyncClient, admin: dict) -> None:
    response = await client.get("/api/platform/entitlements/features", headers=admin)
    assert response.status_code == 200
    features = {f["id"]: f for f in response.json()}
    assert {
        k: features["ai_generation"][k]
        for k in ("id", "name", "type", "category", "defaultEnabled", "defaultValue")
    } == {
        "id": "ai_generation",
        "name": "AI Content Generation",
        "type": "BOOLEAN",
        "category": None,
        "defaultEnabled": False,
        "defaultValue": None,
    }
    assert {
        k: features["ai_website_analysis"][k]
        for k in ("id", "name", "type", "category", "defaultEnabled", "defaultValue")
    } == {
        "id": "ai_website_analysis",
        "name": "Website Analysis",
        "type": "NUMBER",
        "category": "ai_refinement",
        "defaultEnabled": False,
        "defaultValue": 0,
    }


async def test_all_fourteen_seeded_features_exist_once(
    client: httpx.AsyncClient, admin: dict
) -> None:
    body = (await client.get("/api/platform/entitlements/features", headers=admin)).json()
    ids = [f["id"] for f in body]
    assert len(ids) == len(set(ids))
    for fid, (name, ftype) in SEEDED.items():
        match = [f for f in body if f["id"] == fid]
        assert len(match) == 1, fid
        assert (match[0]["name"], match[0]["type"]) == (name, ftype)


async def test_page_features_and_format_children_are_seeded(
    client: httpx.AsyncClient, admin: dict
) -> None:
    body = (await client.get("/api/platform/entitlements/features", headers=admin)).json()
    features = {f["id"]: f for f in body}
    for fid in (
        "recording_download",
        "transcript_export",
        "audit_log_access",
        "outbound_calling",
        "integrations",
        "api_key_management",
        "concurrent_calls",
        "user_seats",
    ):
        assert fid in features
    assert features["transcript_export"]["requiresChild"] is True
    for fmt in ("csv", "txt", "pdf"):
        assert features[f"transcript_export.{fmt}"]["parent"] == "transcript_export"
    assert features["concurrent_calls"]["type"] == "NUMBER"
    assert features["user_seats"]["type"] == "NUMBER"


async def test_create_feature_as_in_seed(client: httpx.AsyncClient, admin: dict) -> None:
    request = {
        "id": "custom_branding",
        "name": "Custom Branding",
        "description": "Allow custom logo and colors",
        "type": "boolean",
        "category": "appearance",
        "defaultEnabled": False,
        "defaultValue": None,
    }
    response = await client.post("/api/platform/entitlements/features", json=request, headers=admin)
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == "custom_branding"
    assert body["name"] == "Custom Branding"
    assert body["description"] == "Allow custom logo and colors"
    assert body["type"] == "BOOLEAN"
    assert body["category"] == "appearance"
    assert body["defaultEnabled"] is False
    assert body["defaultValue"] is None
    listed = (await client.get("/api/platform/entitlements/features", headers=admin)).json()
    assert next(f for f in listed if f["id"] == "custom_branding")["type"] == "BOOLEAN"


async def test_create_feature_type_defaults_to_boolean_and_any_case(
    client: httpx.AsyncClient, admin: dict
) -> None:
    url = "/api/platform/entitlements/features"
    a = await client.post(url, json={"id": "f_default", "name": "Default"}, headers=admin)
    b = await client.post(url, json={"id": "f_num", "name": "Num", "type": "NuMbEr"}, headers=admin)
    assert (a.status_code, a.json()["type"]) == (201, "BOOLEAN")
    assert (b.status_code, b.json()["type"]) == (201, "NUMBER")


async def test_list_packages_shape(client: httpx.AsyncClient, admin: dict) -> None:
    response = await client.get("/api/platform/entitlements/packages", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert [p["name"] for p in body] == ["free", "starter", "professional", "enterprise"]
    for package in body:
        assert set(package) == {"id", "name"}
        assert isinstance(package["id"], str)


async def test_list_plans_is_the_whole_matrix(client: httpx.AsyncClient, admin: dict) -> None:
    features = (await client.get("/api/platform/entitlements/features", headers=admin)).json()
    packages = (await client.get("/api/platform/entitlements/packages", headers=admin)).json()
    plans = (await client.get("/api/platform/entitlements/plans", headers=admin)).json()
    assert len(plans) == len(features) * len(packages)
    cell = next(p for p in plans if p["featureId"] == "ai_website_analysis")
    for key, kind in (
        ("id", str),
        ("packageId", str),
        ("featureId", str),
        ("enabled", bool),
        ("value", int),
    ):
        assert isinstance(cell[key], kind), key


async def test_update_plan_entitlement_as_in_seed(client: httpx.AsyncClient, admin: dict) -> None:
    url = "/api/platform/entitlements/plans/free/ai_website_analysis"
    response = await client.put(url, json={"enabled": True, "value": 50}, headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert (body["packageId"], body["featureId"], body["enabled"], body["value"]) == (
        "free",
        "ai_website_analysis",
        True,
        50,
    )
    plans = (await client.get("/api/platform/entitlements/plans", headers=admin)).json()
    cell = next(
        p for p in plans if p["packageId"] == "free" and p["featureId"] == "ai_website_analysis"
    )
    assert (cell["enabled"], cell["value"]) == (True, 50)


async def test_update_plan_entitlement_value_defaults_to_unlimited(
    client: httpx.AsyncClient, admin: dict
) -> None:
    url = "/api/platform/entitlements/plans/starter/ai_posts_limit"
    response = await client.put(url, json={"enabled": True}, headers=admin)
    assert (response.status_code, response.json()["value"]) == (200, -1)
