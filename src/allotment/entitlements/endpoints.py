from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from allotment.access import service as access_service
from allotment.access.dependencies import current_principal, demand, require
from allotment.access.models import Tenant
from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.db.dependencies import ClockDep, InvalidatorDep, ReadSession, WriteSession
from allotment.entitlements import service
from allotment.entitlements.cache import content_digest
from allotment.entitlements.dependencies import Cache
from allotment.entitlements.schemas import (
    EntitlementOut,
    EntitlementsUpdate,
    OverrideOut,
    OverridesOut,
    TenantCreate,
    TenantOut,
    TenantUpdate,
)
from allotment.errors import NotFound
from allotment.kit.etag import etag, none_match, parse_if_match

router = APIRouter(prefix="/api/v1", tags=["tenants and entitlements"])

Caller = Annotated[Principal, Depends(current_principal)]
FEATURE_NOT_FOUND = "Feature not found."


def tenant_out(tenant: Tenant) -> TenantOut:
    return TenantOut.model_validate(tenant, from_attributes=True)


@router.post("/tenants", status_code=201, response_model=TenantOut)
async def create_tenant(
    body: TenantCreate,
    _: Annotated[Principal, Depends(require(Permission.TENANTS_CREATE))],
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
) -> TenantOut:
    return tenant_out(await service.create_tenant(session, invalidator, clock, body))


@router.get("/tenants", response_model=list[TenantOut])
async def list_tenants(principal: Caller, session: ReadSession) -> list[TenantOut]:
    return [tenant_out(t) for t in await access_service.list_tenants(session, principal)]


@router.get("/tenants/{tenantId}", response_model=TenantOut)
async def get_tenant(tenantId: str, principal: Caller, session: ReadSession) -> TenantOut:
    demand(principal, tenantId, Permission.TENANT_READ)
    return tenant_out(await access_service.get_tenant(session, principal, tenantId))


@router.patch("/tenants/{tenantId}", response_model=TenantOut)
async def update_tenant(
    tenantId: str,
    body: TenantUpdate,
    principal: Caller,
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
) -> TenantOut:
    demand(principal, tenantId, Permission.TENANT_UPDATE)
    return tenant_out(
        await service.update_tenant(session, invalidator, principal, tenantId, body, clock=clock)
    )


@router.get(
    "/tenants/{tenantId}/entitlements",
    response_model=list[EntitlementOut],
    responses={304: {"description": "Not modified since the version in If-None-Match"}},
)
async def list_entitlements(
    tenantId: str,
    principal: Caller,
    cache: Cache,
    response: Response,
    if_none_match: Annotated[str | None, Header()] = None,
) -> list[EntitlementOut] | Response:
    demand(principal, tenantId, Permission.ENTITLEMENTS_CHECK)
    view = await service.effective_for(cache, principal, tenantId)
    tag = etag(view.version, view.digest)
    if none_match(if_none_match, tag):
        # SDK snapshots poll with the version they hold; an unchanged tenant costs no body.
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return [EntitlementOut.model_validate(e.as_json()) for e in view.effective.values()]


@router.get(
    "/tenants/{tenantId}/entitlements/{featureId}",
    response_model=EntitlementOut,
    responses={404: {"description": "Tenant or feature not found"}},
)
async def check_entitlement(
    tenantId: str,
    featureId: str,
    principal: Caller,
    cache: Cache,
) -> Response:
    # The hot path: cached view, pre-encoded body, no SQL when warm.
    demand(principal, tenantId, Permission.ENTITLEMENTS_CHECK)
    view = cache.peek(tenantId) or await service.effective_for(cache, principal, tenantId)
    body = view.body(featureId)
    if body is None:
        raise NotFound(FEATURE_NOT_FOUND)
    return Response(body, media_type="application/json")


@router.put("/tenants/{tenantId}/entitlements", response_model=list[EntitlementOut])
async def save_entitlements(
    tenantId: str,
    body: EntitlementsUpdate,
    principal: Caller,
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> list[EntitlementOut]:
    demand(principal, tenantId, Permission.ENTITLEMENTS_EDIT)
    expected = parse_if_match(if_match, "If-Match")
    result = await service.save_entitlements(
        session,
        invalidator,
        clock,
        principal,
        tenantId,
        body.entitlements,
        expected if expected is not None else body.version,
    )
    response.headers["ETag"] = etag(result.version, content_digest(result.effective))
    return [EntitlementOut.model_validate(e.as_json()) for e in result.effective.values()]


@router.get("/tenants/{tenantId}/overrides", response_model=OverridesOut)
async def list_overrides(
    tenantId: str,
    principal: Caller,
    session: ReadSession,
    response: Response,
) -> OverridesOut:
    demand(principal, tenantId, Permission.ENTITLEMENTS_VIEW_DETAIL)
    tenant, rows = await service.get_overrides(session, principal, tenantId)
    response.headers["ETag"] = etag(tenant.entitlements_version)
    return OverridesOut(
        tenant_id=tenant.id,
        version=tenant.entitlements_version,
        overrides=[OverrideOut.model_validate(r, from_attributes=True) for r in rows],
    )
