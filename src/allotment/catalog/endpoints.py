from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from allotment.access.dependencies import require
from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.catalog import service
from allotment.catalog.models import Feature, PlanEntitlement
from allotment.catalog.schemas import (
    FeatureCreate,
    FeatureOut,
    FeatureType,
    PackageOut,
    PlanEntitlementOut,
    PlanEntitlementUpdate,
)
from allotment.catalog.snapshot import feature_def
from allotment.db.dependencies import ClockDep, InvalidatorDep, ReadSession, WriteSession
from allotment.kit.etag import parse_if_match

router = APIRouter(prefix="/api/platform/entitlements", tags=["platform entitlements"])

CanRead = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
CanWrite = Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))]


def feature_out(row: Feature) -> FeatureOut:
    return FeatureOut(
        id=row.id,
        name=row.name,
        description=row.description,
        type=FeatureType(row.type),
        category=row.category,
        default_enabled=row.default_enabled,
        default_value=row.default_value,
        unit=row.unit,
        reset_period=row.reset_period,
        action_name=feature_def(row).action_name,
        parent=row.parent_id,
        requires_child=row.requires_child,
    )


def cell_out(row: PlanEntitlement) -> PlanEntitlementOut:
    return PlanEntitlementOut.model_validate(row, from_attributes=True)


@router.get("/features", response_model=list[FeatureOut], response_model_by_alias=True)
async def list_features(_: CanRead, session: ReadSession) -> list[FeatureOut]:
    return [feature_out(f) for f in await service.list_features(session)]


@router.post("/features", status_code=201, response_model=FeatureOut)
async def create_feature(
    body: FeatureCreate,
    principal: CanWrite,
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
) -> FeatureOut:
    return feature_out(
        await service.create_feature(session, invalidator, clock, body, actor=principal)
    )


@router.get("/packages", response_model=list[PackageOut])
async def list_packages(_: CanRead, session: ReadSession) -> list[PackageOut]:
    return [PackageOut(id=p.id, name=p.name) for p in await service.list_packages(session)]


@router.get("/plans", response_model=list[PlanEntitlementOut])
async def list_plans(_: CanRead, session: ReadSession) -> list[PlanEntitlementOut]:
    return [cell_out(c) for c in await service.list_matrix(session)]


@router.put("/plans/{packageId}/{featureId}", response_model=PlanEntitlementOut)
async def update_plan_entitlement(
    packageId: str,
    featureId: str,
    body: PlanEntitlementUpdate,
    principal: CanWrite,
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
    if_match: Annotated[str | None, Header()] = None,
) -> PlanEntitlementOut:
    expected = parse_if_match(if_match, "If-Match")
    if expected is None:
        expected = body.version
    cell, _before = await service.update_cell(
        session,
        invalidator,
        clock,
        package_id=packageId,
        feature_id=featureId,
        enabled=body.enabled,
        value=body.value,
        actor=principal,
        expected_version=expected,
    )
    return cell_out(cell)
