"""The asyncio client. A background task keeps the tenants' snapshots fresh."""

from __future__ import annotations

import asyncio
import contextlib
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


class AsyncAllotmentClient:
    """The same calls as ``AllotmentClient``, awaitable. Use it inside one event loop."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = 5.0,
        retry: RetryPolicy | None = None,
        refresh_interval: float | None = 30.0,
        fallback: Fallback = False,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
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
        self._http = http_client or httpx.AsyncClient(
            timeout=self._core.timeout, transport=transport
        )
        self._allowed = self._core.store.allowed
        self._limits = self._core.store.limits
        self._refresher: asyncio.Task[None] | None = None
        self._closed = False
        # One first load per tenant at a time: concurrent cold checks wait for it.
        self._loading: dict[str, asyncio.Lock] = {}

    # Local evaluation ----------------------------------------------------------------------

    async def check_entitlement(self, feature_id: str, tenant_id: str) -> bool:
        allowed = self._allowed.get(tenant_id)
        if allowed is not None:
            return allowed.get(feature_id, False)
        if await self._load_cold(tenant_id) is None:
            return self._core.store.fallback_allowed(feature_id, tenant_id)
        return self._allowed[tenant_id].get(feature_id, False)

    async def get_limit(self, feature_id: str, tenant_id: str) -> int:
        """-1 unlimited, 0 no access, 1 on (BOOLEAN), N the limit, from the local snapshot."""
        limits = self._limits.get(tenant_id)
        if limits is None:
            if await self._load_cold(tenant_id) is None:
                return self._core.store.fallback_limit(feature_id, tenant_id)
            limits = self._limits[tenant_id]
        return limits.get(feature_id, 0)

    async def get_entitlement(self, feature_id: str, tenant_id: str) -> Entitlement:
        snapshot = self._core.store.snapshots.get(tenant_id) or await self.load(tenant_id)
        return self._core.entitlement_in(snapshot, feature_id)

    def snapshot(self, tenant_id: str) -> Snapshot | None:
        return self._core.store.snapshots.get(tenant_id)

    async def load(self, tenant_id: str) -> Snapshot:
        """Fetch the tenant's snapshot now (with retries) and keep it fresh from then on."""
        self._track(tenant_id)
        return await self._fetch(tenant_id, None, self._core.retry)

    async def refresh(self) -> None:
        """Revalidate every tracked tenant once (what the background task does each interval).
        A failure keeps the last good snapshot and is logged, never raised."""
        for tenant_id in self._core.store.tracked():
            etag = self._core.store.conditional_etag(tenant_id)
            try:
                await self._fetch(tenant_id, etag, COLD_LOAD)
            except AllotmentError as exc:
                log.warning("allotment: refreshing tenant %s failed: %s", tenant_id, exc)

    async def _load_cold(self, tenant_id: str) -> Snapshot | None:
        store = self._core.store
        self._track(tenant_id)
        lock = self._loading.setdefault(tenant_id, asyncio.Lock())
        async with lock:
            held = store.snapshots.get(tenant_id)
            if held is not None:
                return held
            if not store.may_try_cold(tenant_id):
                return None
            try:
                return await self._fetch(tenant_id, None, COLD_LOAD)
            except ServerUnavailable as exc:
                store.cold_failed(tenant_id)
                log.warning(
                    "allotment: no snapshot for tenant %s, using the fallback: %s", tenant_id, exc
                )
                return None

    async def _fetch(self, tenant_id: str, etag: str | None, policy: RetryPolicy) -> Snapshot:
        call = wire.list_entitlements(tenant_id, etag)
        return self._core.take_snapshot(tenant_id, await self._send(call, policy))

    # Server calls ----------------------------------------------------------------------------

    async def check_ai_action(
        self, tenant_id: str, action: str, *, user_id: str | None = None, key: str | None = None
    ) -> ActionResult:
        call = wire.check_action(tenant_id, action, user_id, key)
        return action_result(await self._send(call, self._core.retry))

    async def consume(
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
        return action_result(await self._send(call, self._core.retry))

    async def get_usage_summary(self, tenant_id: str) -> UsageSummary:
        return usage_summary(await self._send(wire.usage(tenant_id), self._core.retry))

    async def _send(self, call: wire.Call, policy: RetryPolicy) -> httpx.Response:
        if self._closed:
            raise AllotmentError("This client is closed.")
        url, headers = self._core.url(call), self._core.request_headers(call)
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                response = await self._http.request(
                    call.method, url, json=call.json, headers=headers
                )
            except httpx.TransportError as exc:
                if last:
                    raise TransportError(f"{call.method} {call.path}: {exc!r}") from exc
                await asyncio.sleep(policy.delay(attempt))
                continue
            if response.status_code < 300 or response.status_code == 304:
                return response
            if not last and should_retry(response):
                await asyncio.sleep(policy.delay(attempt, retry_after_seconds(response)))
                continue
            raise error_for(response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # Lifecycle ---------------------------------------------------------------------------------

    def _track(self, tenant_id: str) -> None:
        self._core.store.track(tenant_id)
        if self._refresher is None and self._core.refresh_interval is not None and not self._closed:
            self._refresher = asyncio.get_running_loop().create_task(
                self._refresh_forever(), name="allotment-snapshot-refresh"
            )

    async def _refresh_forever(self) -> None:
        interval = self._core.refresh_interval or 30.0
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except Exception:  # the refresher must outlive any surprise; the snapshot stays
                log.exception("allotment: snapshot refresh failed")

    async def aclose(self) -> None:
        self._closed = True
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncAllotmentClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
