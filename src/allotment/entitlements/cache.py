"""Effective entitlements per tenant, held in process. A warm check runs no SQL.

Every change publishes a topic (``catalog`` or ``tenant:<id>``) through the invalidator; the cache
drops what the topic covers. A load that raced with an invalidation is not stored: each load notes
the generation it started in and keeps its result only if nothing was invalidated meanwhile.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

from allotment.access import service as access_service
from allotment.catalog import service as catalog_service
from allotment.catalog.snapshot import CatalogSnapshot
from allotment.db.invalidation import ALL, Invalidator
from allotment.db.session import Database
from allotment.entitlements import repository
from allotment.entitlements.resolution import Effective, OverrideDef, resolve_all

TENANT_TOPIC = "tenant:"
_MAX_NEGATIVE = 10_000


def tenant_topic(tenant_id: str) -> str:
    return TENANT_TOPIC + tenant_id


@dataclass(slots=True)
class TenantView:
    tenant_id: str
    package_id: str
    version: int
    time_zone: str
    effective: dict[str, Effective]
    overrides: Mapping[str, OverrideDef]
    _bodies: dict[str, bytes] = field(default_factory=dict)
    _digest: str | None = None

    @property
    def digest(self) -> str:
        """A short hash of the effective entitlements, for content ETags."""
        if self._digest is None:
            self._digest = content_digest(self.effective)
        return self._digest

    def body(self, feature_id: str) -> bytes | None:
        """The JSON answer for one feature, encoded once per cached view."""
        cached = self._bodies.get(feature_id)
        if cached is None:
            eff = self.effective.get(feature_id)
            if eff is None:
                return None
            cached = self._bodies[feature_id] = orjson.dumps(eff.as_json())
        return cached


def content_digest(effective: Mapping[str, Effective]) -> str:
    encoded = orjson.dumps([effective[k].as_json() for k in sorted(effective)])
    return hashlib.blake2b(encoded, digest_size=6).hexdigest()


class EntitlementCache:
    def __init__(self, db: Database, invalidator: Invalidator) -> None:
        self.db = db
        self._catalog: CatalogSnapshot | None = None
        self._tenants: dict[str, TenantView] = {}
        self._missing: set[str] = set()
        self._generation = 0
        self.loads = 0
        invalidator.subscribe(self.on_invalidate)

    def on_invalidate(self, topic: str) -> None:
        self._generation += 1
        if topic.startswith(TENANT_TOPIC):
            tenant_id = topic[len(TENANT_TOPIC) :]
            self._tenants.pop(tenant_id, None)
            self._missing.discard(tenant_id)
        elif topic == "catalog" or topic == ALL:
            self._catalog = None
            self._tenants.clear()
            self._missing.clear()

    def peek(self, tenant_id: str) -> TenantView | None:
        return self._tenants.get(tenant_id)

    async def catalog(self) -> CatalogSnapshot:
        snapshot = self._catalog
        if snapshot is not None:
            return snapshot
        generation = self._generation
        async with self.db.session() as session:
            snapshot = await catalog_service.load_snapshot(session)
        self.loads += 1
        if generation == self._generation:
            self._catalog = snapshot
        return snapshot

    async def tenant(self, tenant_id: str) -> TenantView | None:
        view = self._tenants.get(tenant_id)
        if view is not None:
            return view
        if tenant_id in self._missing:
            return None
        generation = self._generation
        snapshot = await self.catalog()
        async with self.db.session() as session:
            tenant = await access_service.load_tenant(session, tenant_id)
            rows = await repository.list_overrides(session, tenant_id) if tenant else []
        self.loads += 1
        if tenant is None:
            if generation == self._generation:
                if len(self._missing) >= _MAX_NEGATIVE:
                    self._missing.clear()
                self._missing.add(tenant_id)
            return None
        overrides = {r.feature_id: OverrideDef(r.enabled, r.value) for r in rows}
        cells = {
            fid: cell for (pkg, fid), cell in snapshot.cells.items() if pkg == tenant.package_id
        }
        view = TenantView(
            tenant_id=tenant.id,
            package_id=tenant.package_id,
            version=tenant.entitlements_version,
            time_zone=tenant.time_zone,
            effective=resolve_all(snapshot.features, cells, overrides),
            overrides=overrides,
        )
        if generation == self._generation:
            self._tenants[tenant_id] = view
        return view

    async def check_entitlement(self, feature_id: str, tenant_id: str) -> bool:
        """In-process check: True when the feature is on (and, for a limit, not zero)."""
        view = self._tenants.get(tenant_id) or await self.tenant(tenant_id)
        if view is None:
            return False
        eff = view.effective.get(feature_id)
        return eff is not None and eff.allowed
