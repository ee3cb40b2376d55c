from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import repository
from allotment.access.keys import generate_key, hash_key, visible_prefix
from allotment.access.models import ApiKey, Tenant
from allotment.access.policy import Role
from allotment.access.principals import Principal
from allotment.db.invalidation import ALL, Invalidator
from allotment.db.session import Database
from allotment.errors import NotFound
from allotment.kit.clock import Clock
from allotment.kit.ids import new_id

KEYS_TOPIC = "keys"
TENANT_NOT_FOUND = "Tenant not found."


class KeyRegistry:
    """Principals by key digest, cached in process: a warm authentication runs no SQL.

    Revocation publishes the ``keys`` topic, which empties the cache here and elsewhere.
    """

    def __init__(self, db: Database, invalidator: Invalidator) -> None:
        self.db = db
        self._by_hash: dict[str, Principal] = {}
        self._generation = 0
        invalidator.subscribe(self._on_invalidate)

    def _on_invalidate(self, topic: str) -> None:
        if topic in (KEYS_TOPIC, ALL) or topic.startswith("tenant-deleted:"):
            self._generation += 1
            self._by_hash.clear()

    def peek(self, secret: str) -> Principal | None:
        """Only what is cached: no I/O, for the fast path."""
        return self._by_hash.get(hash_key(secret))

    async def authenticate(self, secret: str) -> Principal | None:
        digest = hash_key(secret)
        principal = self._by_hash.get(digest)
        if principal is not None:
            return principal
        generation = self._generation
        async with self.db.session() as session:
            row = await repository.get_active_key_by_hash(session, digest)
        if row is None:
            return None
        principal = principal_for_key(row)
        if generation == self._generation:
            self._by_hash[digest] = principal
        return principal


def principal_for_key(row: ApiKey) -> Principal:
    return Principal(
        role=Role(row.role), tenant_id=row.tenant_id, key_id=row.id, display_name=row.name
    )


async def create_key(
    session: AsyncSession,
    clock: Clock,
    *,
    name: str,
    tenant_id: str | None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    secret = secret or generate_key()
    row = ApiKey(
        id=new_id("key"),
        name=name,
        prefix=visible_prefix(secret),
        key_hash=hash_key(secret),
        role=(Role.TENANT_SERVICE if tenant_id else Role.PLATFORM_ADMIN).value,
        tenant_id=tenant_id,
        created_at=clock(),
    )
    session.add(row)
    await session.flush()
    return row, secret


async def ensure_bootstrap_key(session: AsyncSession, clock: Clock, secret: str) -> None:
    if await repository.get_active_key_by_hash(session, hash_key(secret)) is None:
        await create_key(session, clock, name="bootstrap", tenant_id=None, secret=secret)


async def list_keys(session: AsyncSession, tenant_id: str | None) -> Sequence[ApiKey]:
    return await repository.list_keys(session, tenant_id)


async def revoke_key(
    session: AsyncSession,
    invalidator: Invalidator,
    clock: Clock,
    key_id: str,
    tenant_id: str | None,
) -> ApiKey:
    row = await repository.get_key(session, key_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("API key not found.")
    if row.revoked_at is None:
        row.revoked_at = clock()
        await session.flush()
        await invalidator.publish(session, KEYS_TOPIC)
    return row


# -- tenants ----------------------------------------------------------------------------------


async def create_tenant(
    session: AsyncSession, clock: Clock, *, name: str, package_id: str, time_zone: str = "UTC"
) -> Tenant:
    tenant = Tenant(
        id=new_id("ten"),
        name=name,
        package_id=package_id,
        time_zone=time_zone,
        entitlements_version=1,
        created_at=clock(),
    )
    session.add(tenant)
    await session.flush()
    return tenant


async def get_tenant(
    session: AsyncSession, principal: Principal, tenant_id: str, *, for_update: bool = False
) -> Tenant:
    """The one way to load a tenant on a caller's behalf: not yours and not there look the same."""
    if not principal.may_see_tenant(tenant_id):
        raise NotFound(TENANT_NOT_FOUND)
    load = repository.get_tenant_for_update if for_update else repository.get_tenant
    tenant = await load(session, tenant_id)
    if tenant is None:
        raise NotFound(TENANT_NOT_FOUND)
    return tenant


async def list_tenants(session: AsyncSession, principal: Principal) -> Sequence[Tenant]:
    if principal.is_platform:
        return await repository.list_tenants(session)
    if principal.tenant_id is not None:
        return await repository.list_tenants(session, frozenset({principal.tenant_id}))
    return await repository.list_tenants(session, principal.assigned_tenant_ids or frozenset())


async def find_tenant_by_name(session: AsyncSession, name: str) -> Tenant | None:
    return await repository.find_tenant_by_name(session, name)


async def load_tenant(session: AsyncSession, tenant_id: str) -> Tenant | None:
    """System use only (caches, jobs): no caller scope is applied."""
    return await repository.get_tenant(session, tenant_id)


async def bump_entitlements_version(
    session: AsyncSession, tenant_id: str, expected: int | None
) -> int | None:
    """Move the tenant's entitlements version on; with ``expected``, only from that version."""
    if expected is None:
        return await repository.bump_version(session, tenant_id)
    return await repository.bump_version_if(session, tenant_id, expected)
