"""consume, checkAIAction and the usage summary through the HTTP API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from allotment.kit.clock import FrozenClock
from tests.factories import make_tenant, make_tenant_key


async def _consume(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    tenant_id: str,
    feature: str,
    idem: str,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/tenants/{tenant_id}/features/{feature}/consume",
        json={"idempotencyKey": idem, **extra},
        headers=headers,
    )


async def _set_limit(
    client: httpx.AsyncClient, admin: dict[str, str], tenant_id: str, feature: str, value: int
) -> None:
    response = await client.put(
        f"/api/v1/tenants/{tenant_id}/entitlements",
        json={"entitlements": [{"featureId": feature, "enabled": value != 0, "value": value}]},
        headers=admin,
    )
    assert response.status_code == 200, response.text


async def test_consume_answers_seed_shape_until_limit(
    client: httpx.AsyncClient, admin: dict
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")  # website analysis: 10
    answers = [
        (await _consume(client, admin, tenant["id"], "ai_website_analysis", f"k{i}")).json()
        for i in range(11)
    ]
    assert answers[4] == {"allowed": True, "remaining": 5, "limit": 10, "used": 5}
    assert answers[9] == {"allowed": True, "remaining": 0, "limit": 10, "used": 10}
    assert answers[10] == {"allowed": False, "remaining": 0, "limit": 10, "used": 10}


async def test_check_ai_action_is_read_only(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    for i in range(5):
        await _consume(client, admin, tenant["id"], "ai_website_analysis", f"c{i}")
    url = f"/api/v1/tenants/{tenant['id']}/actions/WEBSITE_ANALYSIS/check"
    first = await client.post(url, headers=admin)
    second = await client.post(url, headers=admin)
    assert first.status_code == 200
    assert (
        first.json() == second.json() == {"allowed": True, "remaining": 5, "limit": 10, "used": 5}
    )


async def test_unknown_action_and_feature_are_404(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    check = await client.post(f"/api/v1/tenants/{tenant['id']}/actions/NOPE/check", headers=admin)
    consume = await _consume(client, admin, tenant["id"], "nope", "k")
    assert (check.status_code, consume.status_code) == (404, 404)
    assert check.json()["error"]["code"] == "not_found"


async def test_boolean_feature_is_not_metered(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    response = await _consume(client, admin, tenant["id"], "ai_generation", "k")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "featureId"


async def test_unlimited_and_zero(client: httpx.AsyncClient, admin: dict) -> None:
    enterprise = await make_tenant(client, admin, package_id="enterprise")
    free = await make_tenant(client, admin, package_id="free")
    for i in range(3):
        last = await _consume(client, admin, enterprise["id"], "ai_website_analysis", f"u{i}")
    assert last.json() == {"allowed": True, "remaining": -1, "limit": -1, "used": 3}
    denied = await _consume(client, admin, free["id"], "ai_website_analysis", "z")
    assert denied.status_code == 200
    assert denied.json() == {"allowed": False, "remaining": 0, "limit": 0, "used": 0}


async def test_retry_returns_first_outcome_and_counts_once(
    client: httpx.AsyncClient, admin: dict
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    await _set_limit(client, admin, tenant["id"], "ai_website_analysis", 2)
    a1 = await _consume(client, admin, tenant["id"], "ai_website_analysis", "a")
    a2 = await _consume(client, admin, tenant["id"], "ai_website_analysis", "a")
    b = await _consume(client, admin, tenant["id"], "ai_website_analysis", "b")
    c = await _consume(client, admin, tenant["id"], "ai_website_analysis", "c")
    c_again = await _consume(client, admin, tenant["id"], "ai_website_analysis", "c")
    assert a1.json() == a2.json() == {"allowed": True, "remaining": 1, "limit": 2, "used": 1}
    assert b.json()["used"] == 2
    assert c.json() == c_again.json() == {"allowed": False, "remaining": 0, "limit": 2, "used": 2}
    reused = await _consume(client, admin, tenant["id"], "ai_posts_limit", "a")
    assert reused.status_code == 409


async def test_fractional_amounts(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    r1 = await _consume(client, admin, tenant["id"], "ai_posts_limit", "f1", amount="2.5")
    r2 = await _consume(client, admin, tenant["id"], "ai_posts_limit", "f2", amount=0.25)
    assert r1.json()["used"] == 2.5
    assert r2.json() == {"allowed": True, "remaining": 47.25, "limit": 50, "used": 2.75}


async def test_bad_amounts_are_422(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin)
    for amount in ("NaN", "Infinity", -1, 0, "abc", "1e20", "0.0000001"):
        response = await _consume(client, admin, tenant["id"], "ai_posts_limit", "x", amount=amount)
        assert response.status_code == 422, amount
        assert response.json()["error"]["details"][0]["field"] == "amount"
    missing = await client.post(
        f"/api/v1/tenants/{tenant['id']}/features/ai_posts_limit/consume", json={}, headers=admin
    )
    assert missing.status_code == 422


async def test_per_key_counts_each_key(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    await _set_limit(client, admin, tenant["id"], "ai_chat_messages_per_session", 2)
    feature = "ai_chat_messages_per_session"
    no_key = await _consume(client, admin, tenant["id"], feature, "n")
    assert no_key.status_code == 422
    assert no_key.json()["error"]["details"][0]["field"] == "key"
    s1 = [
        (await _consume(client, admin, tenant["id"], feature, f"s1-{i}", key="chat-1")).json()
        for i in range(3)
    ]
    s2 = await _consume(client, admin, tenant["id"], feature, "s2", key="chat-2")
    assert [a["allowed"] for a in s1] == [True, True, False]
    assert s2.json() == {"allowed": True, "remaining": 1, "limit": 2, "used": 1}


async def test_month_window_resets(
    client: httpx.AsyncClient, admin: dict, clock: FrozenClock
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    await _set_limit(client, admin, tenant["id"], "ai_website_analysis", 1)
    assert (await _consume(client, admin, tenant["id"], "ai_website_analysis", "m1")).json()[
        "allowed"
    ]
    assert not (await _consume(client, admin, tenant["id"], "ai_website_analysis", "m2")).json()[
        "allowed"
    ]
    clock.advance(timedelta(days=17))  # 2026-04-01 12:00
    april = await _consume(client, admin, tenant["id"], "ai_website_analysis", "m3")
    assert april.json() == {"allowed": True, "remaining": 0, "limit": 1, "used": 1}


async def test_tenant_key_scope(client: httpx.AsyncClient, admin: dict) -> None:
    mine = await make_tenant(client, admin, name="Mine")
    other = await make_tenant(client, admin, name="Other")
    key = await make_tenant_key(client, admin, mine["id"])
    ok = await _consume(client, key, mine["id"], "ai_posts_limit", "k")
    foreign = await _consume(client, key, other["id"], "ai_posts_limit", "k")
    missing = await _consume(client, key, "ten_missing", "ai_posts_limit", "k")
    assert ok.status_code == 200
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    usage = await client.get(f"/api/v1/tenants/{other['id']}/usage", headers=key)
    assert usage.status_code == 404
    anonymous = await _consume(client, {}, mine["id"], "ai_posts_limit", "k")
    assert anonymous.status_code == 401


async def test_usage_summary(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    for i in range(4):
        await _consume(client, admin, tenant["id"], "ai_website_analysis", f"w{i}")
    await _consume(client, admin, tenant["id"], "ai_chat_messages_per_session", "m", key="c1")
    response = await client.get(f"/api/v1/tenants/{tenant['id']}/usage", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["tenantId"] == tenant["id"]
    lines = {line["featureId"]: line for line in body["features"]}
    assert "ai_generation" not in lines and "social_accounts_limit" not in lines
    assert lines["ai_website_analysis"] == {
        "featureId": "ai_website_analysis",
        "used": 4,
        "limit": 10,
        "remaining": 6,
        "windowStart": "2026-03-01T00:00:00Z",
        "windowEnd": "2026-04-01T00:00:00Z",
        "percentUsed": 40.0,
    }
    assert lines["ai_posts_limit"]["used"] == 0
    assert lines["ai_chat_messages_per_session"]["used"] == 1
    assert lines["ai_chat_messages_per_session"]["windowStart"] is None


async def test_usage_summary_in_tenant_zone(client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter", timeZone="Europe/Berlin")
    body = (await client.get(f"/api/v1/tenants/{tenant['id']}/usage", headers=admin)).json()
    line = next(f for f in body["features"] if f["featureId"] == "ai_posts_limit")
    assert (line["windowStart"], line["windowEnd"]) == (
        "2026-02-28T23:00:00Z",
        "2026-03-31T22:00:00Z",
    )


async def test_in_process_entry_points(app: Any, client: httpx.AsyncClient, admin: dict) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    metering = app.state.metering
    first = await metering.consume(tenant["id"], "ai_website_analysis", idempotency_key="i1")
    again = await metering.consume(tenant["id"], "ai_website_analysis", idempotency_key="i1")
    assert first == again
    assert first.as_json() == {"allowed": True, "remaining": 9, "limit": 10, "used": 1}
    check = await metering.check_ai_action(tenant["id"], "WEBSITE_ANALYSIS")
    assert check.as_json() == {"allowed": True, "remaining": 9, "limit": 10, "used": 1}
    chat = await metering.check_ai_action(tenant["id"], "CHAT_MESSAGES_PER_SESSION", key="c1")
    assert chat.as_json() == {"allowed": True, "remaining": 20, "limit": 20, "used": 0}
    summary = await metering.get_usage_summary(tenant["id"])
    line = next(f for f in summary["features"] if f["featureId"] == "ai_website_analysis")
    assert (summary["tenantId"], line["used"], line["percentUsed"]) == (tenant["id"], 1, 10.0)
