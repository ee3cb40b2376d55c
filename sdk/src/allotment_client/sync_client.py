"""The blocking client. A background thread keeps the tenants' snapshots fresh."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import httpx

from allotment_client import wire
from allotment_client.core import (
    COLD_LOAD,
    ClientCore,
    action_result,
    log,
    new_idempotency_key,
    usage_summary,
)
from allotment_client.errors import AllotmentError, ServerUnavailable, TransportError, error_for
from allotment_client.models import ActionResult, Entitlement, UsageSummary
from allotment_client.retry import RetryPolicy, retry_after_seconds, should_retry
from allotment_client.snapshot import Fallback, Snapshot


class AllotmentClient:
    """``check_entitlement`` and ``get_limit`` answer from a local snapshot of the tenant's
    entitlements; ``check_ai_action``, ``consume`` and ``get_usage_summary`` ask the server."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = 5.0,
        retry: RetryPolicy | None = None,
        refresh_interval: float | None = 30.0,
        fallback: Fallback = False,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._core = ClientCore(
            base_url,
            api_key,
            timeout=timeout,
            retry=retry,
            refresh_interval=refresh_interval,
            fallback=fallback,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self._core.timeout, transport=transport)
        self._allowed = self._core.store.allowed
        self._limits = self._core.store.limits
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None
        self._start_lock = threading.Lock()

    # Local evaluation ----------------------------------------------------------------------

    def check_entitlement(self, feature_id: str, tenant_id: str) -> bool:
        allowed = self._allowed.get(tenant_id)
        if allowed is not None:
            return allowed.get(feature_id, False)
        return self._check_cold(feature_id, tenant_id)

    def get_limit(self, feature_id: str, tenant_id: str) -> int:
        """-1 unlimited, 0 no access, 1 on (BOOLEAN), N the limit, from the local snapshot."""
        limits = self._limits.get(tenant_id)
        if limits is None:
            if self._load_cold(tenant_id) is None:
                return self._core.store.fallback_limit(feature_id, tenant_id)
            limits = self._limits[tenant_id]
        return limits.get(feature_id, 0)

    def get_entitlement(self, feature_id: str, tenant_id: str) -> Entitlement:
        """The feature's effective entitlement from the snapshot; raises NotFoundError for an
        unknown feature and the load's error when no snapshot can be had."""
        snapshot = self._core.store.snapshots.get(tenant_id) or self.load(tenant_id)
        return self._core.entitlement_in(snapshot, feature_id)

    def snapshot(self, tenant_id: str) -> Snapshot | None:
        return self._core.store.snapshots.get(tenant_id)

    def load(self, tenant_id: str) -> Snapshot:
        """Fetch the tenant's snapshot now (with retries) and keep it fresh from then on."""
        self._track(tenant_id)
        return self._fetch(tenant_id, None, self._core.retry)

    def refresh(self) -> None:
        """Revalidate every tracked tenant once (what the background thread does each interval).
        A failure keeps the last good snapshot and is logged, never raised."""
        for tenant_id in self._core.store.tracked():
            etag = self._core.store.conditional_etag(tenant_id)
            try:
                self._fetch(tenant_id, etag, COLD_LOAD)
            except AllotmentError as exc:
                log.warning("allotment: refreshing tenant %s failed: %s", tenant_id, exc)

    def _check_cold(self, feature_id: str, tenant_id: str) -> bool:
        if self._load_cold(tenant_id) is None:
            return self._core.store.fallback_allowed(feature_id, tenant_id)
        return self._allowed[tenant_id].get(feature_id, False)

    def _load_cold(self, tenant_id: str) -> Snapshot | None:
        store = self._core.store
        self._track(tenant_id)
        if not store.may_try_cold(tenant_id):
            return None
        try:
            return self._fetch(tenant_id, None, COLD_LOAD)
        except ServerUnavailable as exc:
            store.cold_failed(tenant_id)
            log.warning(
                "allotment: no snapshot for tenant %s, using the fallback: %s", tenant_id, exc
            )
            return None

    def _fetch(self, tenant_id: str, etag: str | None, policy: RetryPolicy) -> Snapshot:
        call = wire.list_entitlements(tenant_id, etag)
        return self._core.take_snapshot(tenant_id, self._send(call, policy))

    # Server calls ----------------------------------------------------------------------------

    def check_ai_action(
        self, tenant_id: str, action: str, *, user_id: str | None = None, key: str | None = None
    ) -> ActionResult:
        call = wire.check_action(tenant_id, action, user_id, key)
        return action_result(self._send(call, self._core.retry))

    def consume(
        self,
        tenant_id: str,
        feature_id: str,
        amount: int = 1,
        idempotency_key: str | None = None,
        user_id: str | None = None,
        key: str | None = None,
    ) -> ActionResult:
        """Check and record in one step. Retries resend the same idempotency key, so a retried
        consume counts once."""
        call = wire.consume(
            tenant_id, feature_id, amount, idempotency_key or new_idempotency_key(), user_id, key
        )
        return action_result(self._send(call, self._core.retry))

    def get_usage_summary(self, tenant_id: str) -> UsageSummary:
        return usage_summary(self._send(wire.usage(tenant_id), self._core.retry))

    def _send(self, call: wire.Call, policy: RetryPolicy) -> httpx.Response:
        if self._stop.is_set():
            raise AllotmentError("This client is closed.")
        url, headers = self._core.url(call), self._core.request_headers(call)
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                response = self._http.request(call.method, url, json=call.json, headers=headers)
            except httpx.TransportError as exc:
                if last:
                    raise TransportError(f"{call.method} {call.path}: {exc!r}") from exc
                time.sleep(policy.delay(attempt))
                continue
            if response.status_code < 300 or response.status_code == 304:
                return response
            if not last and should_retry(response):
                time.sleep(policy.delay(attempt, retry_after_seconds(response)))
                continue
            raise error_for(response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # Lifecycle ---------------------------------------------------------------------------------

    def _track(self, tenant_id: str) -> None:
        if self._core.store.track(tenant_id) and self._core.refresh_interval is not None:
            self._start_refresher()

    def _start_refresher(self) -> None:
        with self._start_lock:
            if self._refresher is not None or self._stop.is_set():
                return
            self._refresher = threading.Thread(
                target=self._refresh_forever, name="allotment-snapshot-refresh", daemon=True
            )
            self._refresher.start()

    def _refresh_forever(self) -> None:
        interval = self._core.refresh_interval or 30.0
        while not self._stop.wait(interval):
            try:
                self.refresh()
            except Exception:  # the refresher must outlive any surprise; the snapshot stays
                log.exception("allotment: snapshot refresh failed")

    def close(self) -> None:
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join(timeout=self._core.timeout.read or 5.0)
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AllotmentClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
