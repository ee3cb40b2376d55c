from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.catalog.models import Feature, Package, PlanEntitlement


async def list_features(session: AsyncSession) -> Sequence[Feature]:
    stmt = select(Feature).order_by(Feature.sort_order, Feature.id)
    return (await session.execute(stmt)).scalars().all()


async def get_feature(session: AsyncSession, feature_id: str) -> Feature | None:
    return await session.get(Feature, feature_id)


async def find_feature_by_action(session: AsyncSession, action_name: str) -> Feature | None:
    stmt = select(Feature).where(Feature.action_name == action_name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_packages(session: AsyncSession) -> Sequence[Package]:
    stmt = select(Package).order_by(Package.sort_order, Package.id)
    return (await session.execute(stmt)).scalars().all()


async def get_package(session: AsyncSession, package_id: str) -> Package | None:
    return await session.get(Package, package_id)


async def list_cells(session: AsyncSession) -> Sequence[PlanEntitlement]:
    stmt = select(PlanEntitlement).order_by(PlanEntitlement.package_id, PlanEntitlement.feature_id)
    return (await session.execute(stmt)).scalars().all()


async def get_cell(
    session: AsyncSession, package_id: str, feature_id: str, *, for_update: bool = False
) -> PlanEntitlement | None:
    stmt = select(PlanEntitlement).where(
        PlanEntitlement.package_id == package_id, PlanEntitlement.feature_id == feature_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def max_feature_sort_order(session: AsyncSession) -> int:
    value = (await session.execute(select(func.max(Feature.sort_order)))).scalar_one_or_none()
    return int(value or 0)
