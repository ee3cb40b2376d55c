"""A real ``allotment serve`` on a loopback port, for tests that need a server over the wire
(the SDK, the OpenFeature provider). Temp SQLite database; torn down with the session."""

from __future__ import annotations

import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PORTS = range(17000, 18000)
START_TIMEOUT = 60.0


def free_loopback_port() -> int:
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port in 17000-17999")


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
    port = free_loopback_port()
    token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "ALLOTMENT_DATABASE_URL": f"sqlite:///{workdir / 'live.db'}",
        "ALLOTMENT_BOOTSTRAP_TOKEN": token,
        "ALLOTMENT_LOG_LEVEL": "warning",
    }
    log = (workdir / "server.log").open("wb")
    command = [
        sys.executable,
        "-c",
        "import sys; from allotment.cli.main import main; sys.exit(main())",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, workdir / "server.log")
        yield LiveServer(base_url, token, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"allotment serve exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"allotment serve did not start within {START_TIMEOUT}s:\n{log.read_text()[-4000:]}"
    )
