"""What the sync and the async client share: options, headers, and reading answers."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx

from allotment_client import wire
from allotment_client.errors import AllotmentError, NotFoundError
from allotment_client.models import ActionResult, Entitlement, UsageSummary
from allotment_client.retry import RetryPolicy
from allotment_client.snapshot import Fallback, Snapshot, SnapshotStore

VERSION = "0.1.0"
log = logging.getLogger("allotment_client")

# One attempt for a snapshot's first load inside a check: a check should not stall on retries;
# the background refresh keeps trying.
COLD_LOAD = RetryPolicy(attempts=1)


class ClientCore:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout,
        retry: RetryPolicy | None,
        refresh_interval: float | None,
        fallback: Fallback,
    ) -> None:
        if not base_url:
            raise ValueError("base_url is required, e.g. 'https://allotment.example.com'")
        if not api_key:
            raise ValueError("api_key is required")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry or RetryPolicy()
        self.refresh_interval = (
            refresh_interval if refresh_interval and refresh_interval > 0 else None
        )
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": f"allotment-client/{VERSION}",
        }
        self.store = SnapshotStore(
            fallback,
            retry_cold_after=self.refresh_interval or 5.0,
        )

    def url(self, call: wire.Call) -> str:
        return self.base_url + call.path

    def request_headers(self, call: wire.Call) -> dict[str, str]:
        return {**self.headers, **call.headers} if call.headers else self.headers

    def take_snapshot(self, tenant_id: str, response: httpx.Response) -> Snapshot:
        etag = response.headers.get("etag")
        if response.status_code == 304:
            confirmed = self.store.confirm(tenant_id, etag)
            if confirmed is not None:
                return confirmed
            raise AllotmentError("The server answered 304 to a request without a snapshot.")
        body = json_of(response)
        if not isinstance(body, list):
            raise AllotmentError(f"Unexpected entitlements list from the server: {body!r:.200}")
        return self.store.install(tenant_id, (Entitlement.from_json(e) for e in body), etag)

    def entitlement_in(self, snapshot: Snapshot, feature_id: str) -> Entitlement:
        found = snapshot.entitlements.get(feature_id)
        if found is None:
            raise NotFoundError(
                f"No feature '{feature_id}' for tenant '{snapshot.tenant_id}'.",
                status_code=404,
                code="not_found",
            )
        return found


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise AllotmentError(
            f"The server's answer is not JSON (HTTP {response.status_code}).",
            status_code=response.status_code,
        ) from None


def action_result(response: httpx.Response) -> ActionResult:
    return ActionResult.from_json(json_of(response))


def usage_summary(response: httpx.Response) -> UsageSummary:
    return UsageSummary.from_json(json_of(response))
