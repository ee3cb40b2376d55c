"""Session, billing-period and custom-action features through the API (created in the catalog)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from allotment.kit.clock import FrozenClock
from tests.factories import make_tenant

FEATURES = "/api/platform/entitlements/features"


async def _feature(
    client: httpx.AsyncClient, admin: dict, fid: str, period: str, **extra: Any
) -> None:
    body = {
        "id": fid,
        "name": fid,
        "type": "number",
        "resetPeriod": period,
        "defaultEnabled": True,
        "defaultValue": 2,
        **extra,
    }
    response = await client.post(FEATURES, json=body, headers=admin)
    assert response.status_code == 201, response.text


async def _consume(
    client: httpx.AsyncClient, admin: dict, tenant_id: str, fid: str, idem: str
) -> Any:
    response = await client.post(
        f"/api/v1/tenants/{tenant_id}/features/{fid}/consume",
        json={"idempotencyKey": idem},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _line(client: httpx.AsyncClient, admin: dict, tenant_id: str, fid: str) -> Any:
    body = (await client.get(f"/api/v1/tenants/{tenant_id}/usage", headers=admin)).json()
    return next(f for f in body["features"] if f["featureId"] == fid)


async def test_session_closes_exactly_six_hours_after_first_use(
    client: httpx.AsyncClient, admin: dict, clock: FrozenClock
) -> None:
    await _feature(client, admin, "ai_session_budget", "session_6h")
    tenant = await make_tenant(client, admin)
    t = tenant["id"]
    assert (await _consume(client, admin, t, "ai_session_budget", "a"))["allowed"]
    clock.advance(timedelta(hours=1))
    assert (await _consume(client, admin, t, "ai_session_budget", "b"))["used"] == 2
    assert not (await _consume(client, admin, t, "ai_session_budget", "c"))["allowed"]
    line = await _line(client, admin, t, "ai_session_budget")
    assert (line["windowStart"], line["windowEnd"]) == (
        "2026-03-15T12:00:00Z",
        "2026-03-15T18:00:00Z",
    )
    clock.advance(timedelta(hours=4, minutes=59, seconds=59))
    assert not (await _consume(client, admin, t, "ai_session_budget", "d"))["allowed"]
    clock.advance(timedelta(seconds=1))  # 18:00:00, exactly six hours after the first use
    line = await _line(client, admin, t, "ai_session_budget")
    assert line["used"] == 0
    fresh = await _consume(client, admin, t, "ai_session_budget", "e")
    assert fresh == {"allowed": True, "remaining": 1, "limit": 2, "used": 1}
    line = await _line(client, admin, t, "ai_session_budget")
    assert (line["windowStart"], line["windowEnd"], line["used"]) == (
        "2026-03-15T18:00:00Z",
        "2026-03-16T00:00:00Z",
        1,
    )


async def test_billing_period_is_anchored_on_the_tenant(
    client: httpx.AsyncClient, admin: dict, clock: FrozenClock
) -> None:
    await _feature(client, admin, "ai_billed_reports", "billing_period")
    tenant = await make_tenant(client, admin)  # created 2026-03-15 12:00 UTC
    t = tenant["id"]
    line = await _line(client, admin, t, "ai_billed_reports")
    assert (line["windowStart"], line["windowEnd"]) == (
        "2026-03-15T12:00:00Z",
        "2026-04-15T12:00:00Z",
    )
    for idem in ("a", "b"):
        await _consume(client, admin, t, "ai_billed_reports", idem)
    assert not (await _consume(client, admin, t, "ai_billed_reports", "c"))["allowed"]
    clock.advance(timedelta(days=31))  # 2026-04-15 12:00: the next period
    assert (await _consume(client, admin, t, "ai_billed_reports", "d"))["used"] == 1


async def test_declared_action_name_maps_to_its_feature(
    client: httpx.AsyncClient, admin: dict
) -> None:
    await _feature(client, admin, "ai_summaries", "week", actionName="SUMMARIZE_CALL")
    tenant = await make_tenant(client, admin)
    url = f"/api/v1/tenants/{tenant['id']}/actions/SUMMARIZE_CALL/check"
    response = await client.post(url, headers=admin)
    assert response.json() == {"allowed": True, "remaining": 2, "limit": 2, "used": 0}
    default_name = await client.post(
        f"/api/v1/tenants/{tenant['id']}/actions/SUMMARIES/check", headers=admin
    )
    assert default_name.status_code == 404
