"""A change made through one process is seen by another within 1 s (NOTIFY or epoch poll)."""

from __future__ import annotations

import time

import httpx

from allotment.db.migrate import upgrade
from tests.servers import running_server

TOKEN = "cross-process-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _wait_for(fetch: httpx.Client, url: str, expected: object, within: float) -> float:
    start = time.monotonic()
    while True:
        if fetch.get(url, headers=AUTH).json()["enabled"] == expected:
            return time.monotonic() - start
        if time.monotonic() - start > within:
            raise AssertionError(f"{url} still not {expected} after {within}s")
        time.sleep(0.02)


def test_other_process_sees_changes_within_one_second(scratch_url: str) -> None:
    upgrade(scratch_url)
    with (
        running_server(scratch_url, TOKEN) as writer_process,
        running_server(scratch_url, TOKEN) as reader_process,
        httpx.Client(timeout=5) as http,
    ):
        writer, reader = writer_process.base_url, reader_process.base_url
        tenant = http.post(
            f"{writer}/api/v1/tenants", json={"name": "Acme", "packageId": "starter"}, headers=AUTH
        ).json()
        check = f"{reader}/api/v1/tenants/{tenant['id']}/entitlements/advanced_analytics"
        # Warm the reader's cache with the old answer.
        for _ in range(3):
            assert http.get(check, headers=AUTH).json()["enabled"] is False

        saved = http.put(
            f"{writer}/api/v1/tenants/{tenant['id']}/entitlements",
            json={"entitlements": [{"featureId": "advanced_analytics", "enabled": True}]},
            headers=AUTH,
        )
        assert saved.status_code == 200
        _wait_for(http, check, True, within=1.0)

        cell = http.put(
            f"{writer}/api/platform/entitlements/plans/starter/advanced_analytics",
            json={"enabled": True},
            headers=AUTH,
        )
        assert cell.status_code == 200
        http.put(
            f"{writer}/api/v1/tenants/{tenant['id']}/entitlements",
            json={"entitlements": [{"featureId": "advanced_analytics", "enabled": True}]},
            headers=AUTH,
        )
        # Now the matrix itself switches the feature off for every starter tenant.
        http.put(
            f"{writer}/api/platform/entitlements/plans/starter/team_collaboration",
            json={"enabled": False, "value": 0},
            headers=AUTH,
        )
        team = f"{reader}/api/v1/tenants/{tenant['id']}/entitlements/team_collaboration"
        _wait_for(http, team, False, within=1.0)

        # And a plan change on the tenant.
        http.patch(
            f"{writer}/api/v1/tenants/{tenant['id']}",
            json={"packageId": "enterprise"},
            headers=AUTH,
        )
        _wait_for(http, team, True, within=1.0)
