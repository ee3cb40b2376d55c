"""Local evaluation: each tenant's effective entitlements held in process.

The hot path reads ``SnapshotStore.allowed[tenant][feature]``: two dict lookups, no lock. Writers
replace a tenant's inner dicts whole, so a reader never sees half a snapshot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from allotment_client.models import Entitlement

# What a check answers for a tenant whose snapshot never loaded: one answer for every feature,
# an answer per feature id (missing ids are False), or a function of (feature id, tenant id).
# Values follow the server's conventions: True/False, or -1 unlimited, 0 no access, N a limit.
Fallback = bool | Mapping[str, bool | int] | Callable[[str, str], bool | int]


@dataclass(frozen=True, slots=True)
class Snapshot:
    tenant_id: str
    etag: str | None
    entitlements: Mapping[str, Entitlement]
    # Wall-clock time of the last answer that confirmed it (a 200 or a 304).
    confirmed_at: float


class SnapshotStore:
    def __init__(self, fallback: Fallback, retry_cold_after: float):
        self.fallback = fallback
        self.allowed: dict[str, dict[str, bool]] = {}
        self.limits: dict[str, dict[str, int]] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self._retry_cold_after = retry_cold_after
        self._lock = threading.Lock()
        self._tracked: set[str] = set()
        self._cold_failed_at: dict[str, float] = {}

    def install(
        self, tenant_id: str, entitlements: Iterable[Entitlement], etag: str | None
    ) -> Snapshot:
        by_id = {e.feature_id: e for e in entitlements}
        snapshot = Snapshot(tenant_id, etag, MappingProxyType(by_id), time.time())
        self.limits[tenant_id] = {fid: e.limit for fid, e in by_id.items()}
        self.allowed[tenant_id] = {fid: e.allowed for fid, e in by_id.items()}
        self.snapshots[tenant_id] = snapshot
        with self._lock:
            self._cold_failed_at.pop(tenant_id, None)
        return snapshot

    def confirm(self, tenant_id: str, etag: str | None) -> Snapshot | None:
        """A 304: the snapshot held is still current."""
        held = self.snapshots.get(tenant_id)
        if held is None:
            return None
        fresh = Snapshot(tenant_id, etag or held.etag, held.entitlements, time.time())
        self.snapshots[tenant_id] = fresh
        return fresh

    def track(self, tenant_id: str) -> bool:
        """Keep this tenant fresh from now on; True the first time."""
        with self._lock:
            if tenant_id in self._tracked:
                return False
            self._tracked.add(tenant_id)
            return True

    def tracked(self) -> list[str]:
        with self._lock:
            return list(self._tracked)

    def conditional_etag(self, tenant_id: str) -> str | None:
        """The ETag to revalidate with (None: fetch unconditionally).

        The server's ETag covers the content (plan, overrides and matrix), so a 304 is safe.
        """
        held = self.snapshots.get(tenant_id)
        return None if held is None else held.etag

    def may_try_cold(self, tenant_id: str) -> bool:
        """After a failed first load, checks serve the fallback for a while without the network."""
        with self._lock:
            failed_at = self._cold_failed_at.get(tenant_id)
        return failed_at is None or time.monotonic() - failed_at >= self._retry_cold_after

    def cold_failed(self, tenant_id: str) -> None:
        with self._lock:
            self._cold_failed_at[tenant_id] = time.monotonic()

    def fallback_value(self, feature_id: str, tenant_id: str) -> bool | int:
        fallback = self.fallback
        if isinstance(fallback, bool):
            return fallback
        if callable(fallback):
            return fallback(feature_id, tenant_id)
        return fallback.get(feature_id, False)

    def fallback_allowed(self, feature_id: str, tenant_id: str) -> bool:
        return bool(self.fallback_value(feature_id, tenant_id))

    def fallback_limit(self, feature_id: str, tenant_id: str) -> int:
        value = self.fallback_value(feature_id, tenant_id)
        if isinstance(value, bool):
            # Failing open on a limit means no limit; failing closed means none at all.
            return -1 if value else 0
        return value
