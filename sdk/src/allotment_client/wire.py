"""The server's routes as request descriptions, shared by the sync and the async client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

API = "/api/v1/tenants/"


def _seg(value: str) -> str:
    return quote(value, safe="")


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def list_entitlements(tenant_id: str, etag: str | None = None) -> Call:
    headers = {"If-None-Match": etag} if etag else {}
    return Call("GET", f"{API}{_seg(tenant_id)}/entitlements", headers=headers)


def check_action(
    tenant_id: str, action: str, user_id: str | None = None, key: str | None = None
) -> Call:
    body = _optional({}, userId=user_id, key=key)
    return Call("POST", f"{API}{_seg(tenant_id)}/actions/{_seg(action)}/check", json=body)


def consume(
    tenant_id: str,
    feature_id: str,
    amount: int,
    idempotency_key: str,
    user_id: str | None = None,
    key: str | None = None,
) -> Call:
    body = _optional({"amount": amount, "idempotencyKey": idempotency_key}, userId=user_id, key=key)
    return Call("POST", f"{API}{_seg(tenant_id)}/features/{_seg(feature_id)}/consume", json=body)


def usage(tenant_id: str) -> Call:
    return Call("GET", f"{API}{_seg(tenant_id)}/usage")


def _optional(body: dict[str, Any], **extra: str | None) -> dict[str, Any]:
    body.update({k: v for k, v in extra.items() if v is not None})
    return body
