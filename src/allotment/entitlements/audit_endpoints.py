"""Audit logs. A tenant's: for those whose role reads it, and for client admins only where the
tenant's own plan includes audit-log access. The catalog's (plan cells, features): platform
admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from allotment.access import audit_service
from allotment.access import service as access_service
from allotment.access.dependencies import current_principal, require
from allotment.access.models import AuditEntry
from allotment.access.policy import AUDIT_NEEDS_ENTITLEMENT, Permission
from allotment.access.principals import Principal
from allotment.db.dependencies import ReadSession
from allotment.entitlements import service
from allotment.entitlements.audit_schemas import AuditEntryOut, AuditLogOut
from allotment.entitlements.cache import EntitlementCache
from allotment.errors import Forbidden, NotFound

router = APIRouter(prefix="/api/v1", tags=["audit log"])

AUDIT_LOG_FEATURE = "audit_log_access"


def entry_out(row: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        before=audit_service.decode_state(row.before),
        after=audit_service.decode_state(row.after),
    )


async def may_read_audit_log(cache: EntitlementCache, principal: Principal, tenant_id: str) -> bool:
    """Raises the tenant's 404 when it is out of scope; otherwise whether the log is readable."""
    view = await service.effective_for(cache, principal, tenant_id)
    if not principal.can(Permission.AUDIT_READ):
        return False
    if principal.role in AUDIT_NEEDS_ENTITLEMENT:
        feature = view.effective.get(AUDIT_LOG_FEATURE)
        return feature is not None and feature.allowed
    return True


@router.get("/tenants/{tenantId}/audit-log", response_model=AuditLogOut)
async def tenant_audit_log(
    tenantId: str,
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=audit_service.MAX_PAGE)] = 100,
) -> AuditLogOut:
    if not principal.may_see_tenant(tenantId):
        raise NotFound(access_service.TENANT_NOT_FOUND)
    if not await may_read_audit_log(request.app.state.entitlements, principal, tenantId):
        raise Forbidden("Your role, or this tenant's plan, does not include the audit log.")
    rows = await audit_service.list_for_tenant(session, tenantId, limit=limit)
    return AuditLogOut(tenant_id=tenantId, entries=[entry_out(r) for r in rows])


@router.get("/audit-log", response_model=list[AuditEntryOut])
async def catalog_audit_log(
    _: Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))],
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=audit_service.MAX_PAGE)] = 100,
) -> list[AuditEntryOut]:
    return [entry_out(r) for r in await audit_service.list_catalog_changes(session, limit=limit)]
