from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access.models import ApiKey, Tenant


async def get_tenant(session: AsyncSession, tenant_id: str) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def get_tenant_for_update(session: AsyncSession, tenant_id: str) -> Tenant | None:
    stmt = select(Tenant).where(Tenant.id == tenant_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_tenants(
    session: AsyncSession, ids: frozenset[str] | None = None
) -> Sequence[Tenant]:
    stmt = select(Tenant).order_by(Tenant.created_at, Tenant.id)
    if ids is not None:
        stmt = stmt.where(Tenant.id.in_(ids))
    return (await session.execute(stmt)).scalars().all()


async def find_tenant_by_name(session: AsyncSession, name: str) -> Tenant | None:
    stmt = select(Tenant).where(Tenant.name == name).order_by(Tenant.created_at).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_active_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_key(session: AsyncSession, key_id: str) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def list_keys(session: AsyncSession, tenant_id: str | None) -> Sequence[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    stmt = stmt.where(
        ApiKey.tenant_id == tenant_id if tenant_id is not None else ApiKey.tenant_id.is_(None)
    )
    return (await session.execute(stmt)).scalars().all()


async def bump_version_if(session: AsyncSession, tenant_id: str, expected: int) -> int | None:
    """Compare-and-set on the tenant's entitlements version; None when someone else won."""
    stmt = (
        update(Tenant)
        .where(Tenant.id == tenant_id, Tenant.entitlements_version == expected)
        .values(entitlements_version=Tenant.entitlements_version + 1)
        .returning(Tenant.entitlements_version)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def bump_version(session: AsyncSession, tenant_id: str) -> int:
    stmt = (
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(entitlements_version=Tenant.entitlements_version + 1)
        .returning(Tenant.entitlements_version)
    )
    return int((await session.execute(stmt)).scalar_one())
