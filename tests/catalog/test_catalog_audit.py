from __future__ import annotations

from datetime import timedelta

import httpx

from allotment.kit.clock import FrozenClock


async def test_plan_cell_and_feature_changes_are_audited(
    client: httpx.AsyncClient, admin: dict[str, str], clock: FrozenClock
) -> None:
    cell = await client.put(
        "/api/platform/entitlements/plans/free/user_seats",
        json={"enabled": True, "value": 3},
        headers=admin,
    )
    assert cell.status_code == 200, cell.text
    clock.advance(timedelta(seconds=1))
    feature = await client.post(
        "/api/platform/entitlements/features",
        json={"id": "custom_branding", "name": "Custom Branding", "type": "boolean"},
        headers=admin,
    )
    assert feature.status_code == 201, feature.text
    log = await client.get("/api/v1/audit-log", headers=admin)
    assert log.status_code == 200
    newest, older = log.json()[:2]
    assert newest["action"] == "feature.created"
    assert newest["subject"] == "custom_branding"
    assert newest["before"] is None and newest["after"]["name"] == "Custom Branding"
    assert newest["actor"] == "bootstrap"
    assert older["action"] == "plan_cell.changed"
    assert older["subject"] == "free/user_seats"
    assert older["before"] == {"enabled": True, "value": 2}
    assert older["after"] == {"enabled": True, "value": 3}


async def test_a_rejected_change_leaves_no_audit_entry(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    stale = await client.put(
        "/api/platform/entitlements/plans/free/user_seats",
        json={"enabled": True, "value": 3},
        headers={**admin, "If-Match": '"7"'},
    )
    assert stale.status_code == 409
    assert (await client.get("/api/v1/audit-log", headers=admin)).json() == []
