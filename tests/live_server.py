"""A real ``allotment serve`` on a loopback port, for tests that need a server over the wire
(the SDK, the OpenFeature provider). Temp SQLite database; torn down with the session."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.servers import running_server


@dataclass
class LiveServer:
    base_url: str
    admin_token: str
    process: subprocess.Popen[bytes]

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def create_tenant(self, package_id: str = "professional", name: str = "Live") -> dict[str, Any]:
        response = httpx.post(
            f"{self.base_url}/api/v1/tenants",
            json={"name": name, "packageId": package_id},
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def create_tenant_key(self, tenant_id: str) -> str:
        response = httpx.post(
            f"{self.base_url}/api/v1/tenants/{tenant_id}/api-keys",
            json={"name": "live test"},
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        key: str = response.json()["key"]
        return key

    def set_entitlement(
        self, tenant_id: str, feature_id: str, enabled: bool, value: int | None = None
    ) -> None:
        change: dict[str, Any] = {"featureId": feature_id, "enabled": enabled}
        if value is not None:
            change["value"] = value
        response = httpx.put(
            f"{self.base_url}/api/v1/tenants/{tenant_id}/entitlements",
            json={"entitlements": [change]},
            headers=self.admin,
        )
        assert response.status_code == 200, response.text


@contextmanager
def live_server(workdir: Path) -> Iterator[LiveServer]:
    token = secrets.token_urlsafe(24)
    url = f"sqlite:///{workdir / 'live.db'}"
    quiet = {"ALLOTMENT_LOG_LEVEL": "warning"}
    with running_server(url, token, migrate=True, extra_env=quiet) as server:
        yield LiveServer(server.base_url, token, server.process)
