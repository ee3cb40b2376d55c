from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from allotment.access import service
from allotment.access.dependencies import current_principal, demand, require
from allotment.access.models import ApiKey
from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from allotment.db.dependencies import ClockDep, InvalidatorDep, ReadSession, WriteSession

router = APIRouter(prefix="/api/v1", tags=["api keys"])

Caller = Annotated[Principal, Depends(current_principal)]
PlatformAdmin = Annotated[Principal, Depends(require(Permission.API_KEYS_MANAGE))]


def key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(row, from_attributes=True)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_platform_key(
    _: PlatformAdmin,
    session: WriteSession,
    clock: ClockDep,
    body: Annotated[ApiKeyCreate | None, Body()] = None,
) -> ApiKeyCreated:
    row, secret = await service.create_key(
        session, clock, name=(body or ApiKeyCreate()).name, tenant_id=None
    )
    return ApiKeyCreated(**key_out(row).model_dump(), key=secret)


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_platform_keys(_: PlatformAdmin, session: ReadSession) -> list[ApiKeyOut]:
    return [key_out(k) for k in await service.list_keys(session, None)]


@router.delete("/api-keys/{keyId}", response_model=ApiKeyOut)
async def revoke_platform_key(
    keyId: str,
    _: PlatformAdmin,
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
) -> ApiKeyOut:
    return key_out(await service.revoke_key(session, invalidator, clock, keyId, None))


@router.post("/tenants/{tenantId}/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_tenant_key(
    tenantId: str,
    principal: Caller,
    session: WriteSession,
    clock: ClockDep,
    body: Annotated[ApiKeyCreate | None, Body()] = None,
) -> ApiKeyCreated:
    demand(principal, tenantId, Permission.API_KEYS_MANAGE)
    tenant = await service.get_tenant(session, principal, tenantId)
    row, secret = await service.create_key(
        session, clock, name=(body or ApiKeyCreate()).name, tenant_id=tenant.id
    )
    return ApiKeyCreated(**key_out(row).model_dump(), key=secret)


@router.get("/tenants/{tenantId}/api-keys", response_model=list[ApiKeyOut])
async def list_tenant_keys(
    tenantId: str,
    principal: Caller,
    session: ReadSession,
) -> list[ApiKeyOut]:
    demand(principal, tenantId, Permission.API_KEYS_MANAGE)
    tenant = await service.get_tenant(session, principal, tenantId)
    return [key_out(k) for k in await service.list_keys(session, tenant.id)]


@router.delete("/tenants/{tenantId}/api-keys/{keyId}", response_model=ApiKeyOut)
async def revoke_tenant_key(
    tenantId: str,
    keyId: str,
    principal: Caller,
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
) -> ApiKeyOut:
    demand(principal, tenantId, Permission.API_KEYS_MANAGE)
    tenant = await service.get_tenant(session, principal, tenantId)
    return key_out(await service.revoke_key(session, invalidator, clock, keyId, tenant.id))
