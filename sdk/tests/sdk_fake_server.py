"""An in-memory stand-in for the server's SDK routes, served through ``httpx.MockTransport``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

BASE = "http://allotment.test"
KEY = "tenant-key-1"

Row = dict[str, Any]


def row(feature_id: str, type_: str, enabled: bool, value: int | None, source: str = "plan") -> Row:
    return {
        "featureId": feature_id,
        "type": type_,
        "enabled": enabled,
        "value": value,
        "source": source,
    }


@dataclass
class FakeServer:
    entitlements: dict[str, list[Row]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    down: bool = False
    # Answers to hand out before the normal one: an int status or an exception to raise.
    queued: list[int | Exception] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    consumed: dict[str, int] = field(default_factory=dict)  # idempotency key -> amount
    on_request: Callable[[httpx.Request], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_tenant(self, tenant_id: str, rows: list[Row]) -> None:
        with self.lock:
            self.entitlements[tenant_id] = rows
            self.versions[tenant_id] = self.versions.get(tenant_id, 0) + 1

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            queued = self.queued.pop(0) if self.queued else None
        if self.on_request is not None:
            self.on_request(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if isinstance(queued, Exception):
            raise queued
        if queued is not None:
            return error(queued, "scripted")
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return error(401, "unauthorized")
        return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if parts[:3] != ["api", "v1", "tenants"] or len(parts) < 5:
            return error(404, "not_found")
        tenant_id = parts[3]
        if tenant_id not in self.entitlements:
            return error(404, "not_found")
        if parts[4:] == ["entitlements"] and request.method == "GET":
            tag = f'"{self.versions[tenant_id]}"'
            if request.headers.get("if-none-match") == tag:
                return httpx.Response(304, headers={"ETag": tag})
            return httpx.Response(200, json=self.entitlements[tenant_id], headers={"ETag": tag})
        if parts[4] == "features" and parts[6:] == ["consume"]:
            body = json.loads(request.content)
            with self.lock:
                self.consumed.setdefault(body["idempotencyKey"], body["amount"])
                used = sum(self.consumed.values())
            return httpx.Response(
                200, json={"allowed": True, "remaining": 10 - used, "limit": 10, "used": used}
            )
        if parts[4] == "actions" and parts[6:] == ["check"]:
            return httpx.Response(
                200, json={"allowed": True, "remaining": -1, "limit": -1, "used": 3}
            )
        return error(404, "not_found")


def error(status: int, code: str, details: Any = None) -> httpx.Response:
    body = {"error": {"code": code, "message": f"{code} ({status})", "details": details}}
    return httpx.Response(status, json=body)


STARTER = [
    row("ai_generation", "BOOLEAN", True, None),
    row("advanced_analytics", "BOOLEAN", False, None),
    row("ai_website_analysis", "NUMBER", True, 10),
    row("ai_posts_limit", "NUMBER", True, -1, "override"),
    row("ai_chat_sessions", "NUMBER", True, 0),
    row("social_accounts_limit", "NUMBER", False, 3),
]
