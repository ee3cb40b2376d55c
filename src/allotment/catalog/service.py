from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import audit_service
from allotment.access.principals import Principal
from allotment.catalog import repository, seed_data
from allotment.catalog.models import Feature, Package, PlanEntitlement
from allotment.catalog.schemas import FeatureCreate
from allotment.catalog.snapshot import CatalogSnapshot, build_snapshot
from allotment.db.invalidation import Invalidator
from allotment.errors import Conflict, NotFound, ValidationFailed, VersionConflict
from allotment.kit.clock import Clock
from allotment.kit.ids import new_id

CATALOG_TOPIC = "catalog"


async def list_features(session: AsyncSession) -> Sequence[Feature]:
    return await repository.list_features(session)


async def get_feature(session: AsyncSession, feature_id: str) -> Feature:
    feature = await repository.get_feature(session, feature_id)
    if feature is None:
        raise NotFound("Feature not found.")
    return feature


async def create_feature(
    session: AsyncSession,
    invalidator: Invalidator,
    clock: Clock,
    data: FeatureCreate,
    *,
    actor: Principal,
) -> Feature:
    if await repository.get_feature(session, data.id) is not None:
        raise Conflict(f"A feature with id '{data.id}' already exists.", {"id": data.id})
    if data.parent is not None:
        parent = await repository.get_feature(session, data.parent)
        if parent is None:
            raise ValidationFailed.field("parent", f"Unknown parent feature '{data.parent}'.")
        if parent.parent_id is not None:
            raise ValidationFailed.field("parent", "A child feature cannot itself be a parent.")
    if data.action_name is not None and (
        await repository.find_feature_by_action(session, data.action_name) is not None
    ):
        raise Conflict(
            f"Action name '{data.action_name}' is already used.", {"actionName": data.action_name}
        )
    feature = Feature(
        id=data.id,
        name=data.name,
        description=data.description,
        type=data.type.value,
        category=data.category,
        default_enabled=data.default_enabled,
        default_value=data.default_value,
        unit=data.unit,
        reset_period=data.reset_period.value if data.reset_period else None,
        action_name=data.action_name,
        parent_id=data.parent,
        requires_child=data.requires_child,
        sort_order=await repository.max_feature_sort_order(session) + 1,
        created_at=clock(),
    )
    session.add(feature)
    await session.flush()
    await audit_service.record(
        session,
        clock,
        actor,
        action=audit_service.FEATURE_CREATED,
        subject=feature.id,
        before=None,
        after=data.model_dump(mode="json", by_alias=True, exclude_none=True),
    )
    await invalidator.publish(session, CATALOG_TOPIC)
    return feature


async def list_packages(session: AsyncSession) -> Sequence[Package]:
    return await repository.list_packages(session)


async def get_package(session: AsyncSession, package_id: str) -> Package:
    package = await repository.get_package(session, package_id)
    if package is None:
        raise NotFound("Package not found.")
    return package


async def list_matrix(session: AsyncSession) -> Sequence[PlanEntitlement]:
    return await repository.list_cells(session)


async def update_cell(
    session: AsyncSession,
    invalidator: Invalidator,
    clock: Clock,
    *,
    package_id: str,
    feature_id: str,
    enabled: bool,
    value: int,
    actor: Principal,
    expected_version: int | None = None,
) -> tuple[PlanEntitlement, PlanEntitlement | None]:
    """Set one matrix cell; returns the cell and a copy of what it was before (None if new)."""
    await get_package(session, package_id)
    await get_feature(session, feature_id)
    cell = await repository.get_cell(session, package_id, feature_id, for_update=True)
    before: PlanEntitlement | None = None
    if cell is None:
        if expected_version not in (None, 0):
            raise VersionConflict(0)
        cell = PlanEntitlement(
            id=new_id("pe"),
            package_id=package_id,
            feature_id=feature_id,
            enabled=enabled,
            value=value,
            version=1,
        )
        session.add(cell)
    else:
        if expected_version is not None and expected_version != cell.version:
            raise VersionConflict(cell.version)
        before = PlanEntitlement(enabled=cell.enabled, value=cell.value, version=cell.version)
        cell.enabled = enabled
        cell.value = value
        cell.version = cell.version + 1
    await session.flush()
    await audit_service.record(
        session,
        clock,
        actor,
        action=audit_service.PLAN_CELL_CHANGED,
        subject=f"{package_id}/{feature_id}",
        before=None if before is None else {"enabled": before.enabled, "value": before.value},
        after={"enabled": cell.enabled, "value": cell.value},
    )
    await invalidator.publish(session, CATALOG_TOPIC)
    return cell, before


async def load_snapshot(session: AsyncSession) -> CatalogSnapshot:
    features = list(await repository.list_features(session))
    cells = list(await repository.list_cells(session))
    packages = [p.id for p in await repository.list_packages(session)]
    return build_snapshot(features, cells, packages)


async def ensure_seed(session: AsyncSession, clock: Clock) -> dict[str, int]:
    """Insert whatever part of the seed is missing; never duplicates, never overwrites."""
    counts = {"packages": 0, "features": 0, "cells": 0}
    have_packages = set((await session.execute(select(Package.id))).scalars())
    new_packages = [p for p in seed_data.PACKAGES if p["id"] not in have_packages]
    if new_packages:
        await session.execute(insert(Package), new_packages)
        counts["packages"] = len(new_packages)
    have_features = set((await session.execute(select(Feature.id))).scalars())
    now = clock()
    # Parents before children, so the self-reference holds on every insert.
    new_features = sorted(
        ({**f, "created_at": now} for f in seed_data.FEATURES if f["id"] not in have_features),
        key=lambda f: f["parent_id"] is not None,
    )
    if new_features:
        await session.execute(insert(Feature), new_features)
        counts["features"] = len(new_features)
    rows = await session.execute(select(PlanEntitlement.package_id, PlanEntitlement.feature_id))
    have_cells = {(r[0], r[1]) for r in rows}
    new_cells = [
        c for c in seed_data.PLAN_CELLS if (c["package_id"], c["feature_id"]) not in have_cells
    ]
    if new_cells:
        await session.execute(insert(PlanEntitlement), new_cells)
        counts["cells"] = len(new_cells)
    return counts
