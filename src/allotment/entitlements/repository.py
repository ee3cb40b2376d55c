from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.entitlements.models import TenantOverride


async def list_overrides(session: AsyncSession, tenant_id: str) -> Sequence[TenantOverride]:
    stmt = (
        select(TenantOverride)
        .where(TenantOverride.tenant_id == tenant_id)
        .order_by(TenantOverride.feature_id)
    )
    return (await session.execute(stmt)).scalars().all()


async def delete_override(session: AsyncSession, tenant_id: str, feature_id: str) -> None:
    await session.execute(
        delete(TenantOverride).where(
            TenantOverride.tenant_id == tenant_id, TenantOverride.feature_id == feature_id
        )
    )
