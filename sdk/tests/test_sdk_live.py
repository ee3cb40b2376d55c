"""The SDK against a real ``allotment serve`` on loopback: a tenant and its own key, created
through the API, then every SDK call over the wire."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from tests.live_server import LiveServer, live_server

from allotment_client import (
    AllotmentClient,
    AsyncAllotmentClient,
    AuthenticationError,
    NotFoundError,
    RetryPolicy,
    ServerUnavailable,
)

QUICK = RetryPolicy(attempts=2, backoff=0)


def sdk(live: LiveServer, key: str, **options: object) -> AllotmentClient:
    options.setdefault("refresh_interval", None)
    return AllotmentClient(live.base_url, key, retry=QUICK, **options)  # type: ignore[arg-type]


def test_checks_evaluate_from_the_live_snapshot(live: LiveServer) -> None:
    pro = live.create_tenant("professional")
    ent = live.create_tenant("enterprise")
    with sdk(live, live.create_tenant_key(pro["id"])) as client:
        assert client.check_entitlement("advanced_analytics", pro["id"]) is True
        assert client.check_entitlement("docs.internal", pro["id"]) is False
        assert client.get_limit("ai_website_analysis", pro["id"]) == 100
        entitlement = client.get_entitlement("ai_posts_limit", pro["id"])
        assert (entitlement.type, entitlement.value, entitlement.source) == ("NUMBER", 500, "plan")
        # A tenant key sees only its own tenant: another one is simply not found.
        with pytest.raises(NotFoundError):
            client.check_entitlement("advanced_analytics", ent["id"])
    with sdk(live, live.admin_token) as admin:
        assert admin.get_limit("ai_website_analysis", ent["id"]) == -1


def test_refresh_gets_304_then_sees_an_override(live: LiveServer) -> None:
    tenant = live.create_tenant("starter")
    with sdk(live, live.create_tenant_key(tenant["id"])) as client:
        first = client.load(tenant["id"])
        client.refresh()
        after_304 = client.snapshot(tenant["id"])
        assert after_304 is not None
        assert after_304.entitlements is first.entitlements  # unchanged: the server said 304
        assert after_304.etag == first.etag

        live.set_entitlement(tenant["id"], "advanced_analytics", True)
        client.refresh()
        assert client.check_entitlement("advanced_analytics", tenant["id"]) is True
        assert client.snapshot(tenant["id"]).etag != first.etag  # type: ignore[union-attr]


def test_plan_matrix_edit_reaches_the_snapshot_on_the_next_refresh(live: LiveServer) -> None:
    # A matrix edit does not move the tenant's edit version; the content part of the ETag does.
    tenant = live.create_tenant("free")
    with sdk(live, live.create_tenant_key(tenant["id"])) as client:
        assert client.check_entitlement("docs.ai", tenant["id"]) is False
        edited = httpx.put(
            f"{live.base_url}/api/platform/entitlements/plans/free/docs.ai",
            json={"enabled": True, "value": 1},
            headers=live.admin,
        )
        assert edited.status_code == 200, edited.text
        client.refresh()
        assert client.check_entitlement("docs.ai", tenant["id"]) is True


def test_wrong_key_is_an_authentication_error(live: LiveServer) -> None:
    tenant = live.create_tenant()
    with sdk(live, "not-a-key") as client, pytest.raises(AuthenticationError):
        client.check_entitlement("ai_generation", tenant["id"])


async def test_async_client_live(live: LiveServer) -> None:
    tenant = live.create_tenant("starter")
    key = live.create_tenant_key(tenant["id"])
    async with AsyncAllotmentClient(live.base_url, key, refresh_interval=None) as client:
        assert await client.check_entitlement("ai_generation", tenant["id"]) is True
        assert await client.check_entitlement("advanced_analytics", tenant["id"]) is False
        assert await client.get_limit("ai_website_analysis", tenant["id"]) == 10


def test_server_going_away_keeps_the_last_good_snapshot(tmp_path: Path) -> None:
    with live_server(tmp_path) as doomed:
        tenant = doomed.create_tenant("professional")
        other = doomed.create_tenant("professional")
        client = sdk(doomed, doomed.admin_token, fallback={"ai_generation": True})
        assert client.check_entitlement("advanced_analytics", tenant["id"]) is True
        doomed.process.terminate()
        doomed.process.wait(timeout=10)

        client.refresh()
        assert client.check_entitlement("advanced_analytics", tenant["id"]) is True
        assert client.get_limit("ai_website_analysis", tenant["id"]) == 100
        # Never loaded while the server was up: the configured fallback answers.
        assert client.check_entitlement("ai_generation", other["id"]) is True
        assert client.check_entitlement("advanced_analytics", other["id"]) is False
        with pytest.raises(ServerUnavailable):
            client.consume(tenant["id"], "ai_website_analysis")
        client.close()


# The metering routes (check, consume, usage) ------------------------------------------------


def test_consume_counts_once_per_idempotency_key_and_denies_past_the_limit(
    live: LiveServer,
) -> None:
    tenant = live.create_tenant("starter")  # ai_website_analysis: 10 a month
    with sdk(live, live.create_tenant_key(tenant["id"])) as client:
        key = str(uuid.uuid4())
        first = client.consume(tenant["id"], "ai_website_analysis", 3, idempotency_key=key)
        again = client.consume(tenant["id"], "ai_website_analysis", 3, idempotency_key=key)
        assert (first.allowed, first.used, first.remaining, first.limit) == (True, 3, 7, 10)
        assert again.used == 3
        denied = client.consume(tenant["id"], "ai_website_analysis", 8)
        assert denied.allowed is False
        assert denied.used == 3

        check = client.check_ai_action(tenant["id"], "WEBSITE_ANALYSIS")
        assert (check.allowed, check.remaining, check.limit, check.used) == (True, 7, 10, 3)


def test_unlimited_action_reports_minus_one(live: LiveServer) -> None:
    tenant = live.create_tenant("enterprise")
    with sdk(live, live.create_tenant_key(tenant["id"])) as client:
        result = client.check_ai_action(tenant["id"], "WEBSITE_ANALYSIS")
    assert (result.allowed, result.limit, result.remaining) == (True, -1, -1)
    assert result.unlimited


def test_usage_summary_reflects_consumption(live: LiveServer) -> None:
    tenant = live.create_tenant("starter")
    with sdk(live, live.create_tenant_key(tenant["id"])) as client:
        client.consume(tenant["id"], "ai_field_analysis", 5)
        summary = client.get_usage_summary(tenant["id"])
    assert summary.tenant_id == tenant["id"]
    field = summary.feature("ai_field_analysis")
    assert field is not None
    assert (int(field.used), field.limit, int(field.remaining)) == (5, 20, 15)
    assert field.percent_used == pytest.approx(25.0)
    assert field.window_start is not None and field.window_end is not None
    assert field.window_start < field.window_end
