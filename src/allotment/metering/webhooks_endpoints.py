"""Thin HTTP for threshold webhooks: platform-wide and tenant-scoped endpoints, delivery logs.

Platform-wide endpoints (``/api/v1/webhooks``) hear every tenant and are for platform admins;
tenant endpoints (``/api/v1/tenants/{tenantId}/webhooks``) hear one tenant and need the right to
record usage (the tenant's own backend key, or a platform admin).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import service as access_service
from allotment.access.dependencies import current_principal, demand
from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.db.dependencies import ClockDep, ReadSession, WriteSession
from allotment.errors import Forbidden
from allotment.metering import webhooks_service as service
from allotment.metering.models import WebhookEndpoint
from allotment.metering.schemas import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut

router = APIRouter(prefix="/api/v1", tags=["webhooks"])

Caller = Annotated[Principal, Depends(current_principal)]


def _platform(principal: Principal) -> None:
    if not principal.is_platform:
        raise Forbidden("Platform-wide webhooks are for platform admins.")


async def _tenant(session: AsyncSession, principal: Principal, tenant_id: str) -> None:
    demand(principal, tenant_id, Permission.USAGE_RECORD)
    await access_service.get_tenant(session, principal, tenant_id)


def _out(row: WebhookEndpoint) -> WebhookOut:
    return WebhookOut.model_validate(row, from_attributes=True)


def _created(row: WebhookEndpoint) -> WebhookCreated:
    return WebhookCreated.model_validate(row, from_attributes=True)


# -- platform-wide ----------------------------------------------------------------------------


@router.post("/webhooks", status_code=201, response_model=WebhookCreated)
async def create_platform_webhook(
    body: WebhookCreate, principal: Caller, session: WriteSession, clock: ClockDep
) -> WebhookCreated:
    _platform(principal)
    return _created(await service.register(session, clock, None, body))


@router.get("/webhooks", response_model=list[WebhookOut])
async def list_platform_webhooks(principal: Caller, session: ReadSession) -> list[WebhookOut]:
    _platform(principal)
    return [_out(r) for r in await service.list_endpoints(session, None)]


@router.delete("/webhooks/{webhookId}", status_code=204)
async def delete_platform_webhook(
    webhookId: str, principal: Caller, session: WriteSession
) -> Response:
    _platform(principal)
    await service.remove(session, webhookId, None)
    return Response(status_code=204)


@router.get("/webhooks/{webhookId}/deliveries", response_model=list[DeliveryOut])
async def platform_deliveries(
    webhookId: str, principal: Caller, session: ReadSession
) -> list[DeliveryOut]:
    _platform(principal)
    return await service.deliveries(session, webhookId, None)


# -- one tenant's -----------------------------------------------------------------------------


@router.post("/tenants/{tenantId}/webhooks", status_code=201, response_model=WebhookCreated)
async def create_tenant_webhook(
    tenantId: str, body: WebhookCreate, principal: Caller, session: WriteSession, clock: ClockDep
) -> WebhookCreated:
    await _tenant(session, principal, tenantId)
    return _created(await service.register(session, clock, tenantId, body))


@router.get("/tenants/{tenantId}/webhooks", response_model=list[WebhookOut])
async def list_tenant_webhooks(
    tenantId: str, principal: Caller, session: ReadSession
) -> list[WebhookOut]:
    await _tenant(session, principal, tenantId)
    return [_out(r) for r in await service.list_endpoints(session, tenantId)]


@router.delete("/tenants/{tenantId}/webhooks/{webhookId}", status_code=204)
async def delete_tenant_webhook(
    tenantId: str, webhookId: str, principal: Caller, session: WriteSession
) -> Response:
    await _tenant(session, principal, tenantId)
    await service.remove(session, webhookId, tenantId)
    return Response(status_code=204)


@router.get("/tenants/{tenantId}/webhooks/{webhookId}/deliveries", response_model=list[DeliveryOut])
async def tenant_deliveries(
    tenantId: str, webhookId: str, principal: Caller, session: ReadSession
) -> list[DeliveryOut]:
    await _tenant(session, principal, tenantId)
    return await service.deliveries(session, webhookId, tenantId)
