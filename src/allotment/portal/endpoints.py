"""The portal's own API: what the Plan and Entitlements page calls, with the session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from allotment.access import service as access_service
from allotment.access.policy import Permission
from allotment.db.dependencies import ClockDep, InvalidatorDep, WriteSession
from allotment.entitlements import service as entitlements_service
from allotment.entitlements.cache import content_digest
from allotment.entitlements.schemas import EntitlementOut, EntitlementsUpdate
from allotment.errors import NotFound, Unauthorized
from allotment.kit.etag import etag, parse_if_match
from allotment.portal.schemas import PortalSaveOut
from allotment.portal.sessions import CSRF_HEADER, Signed, require_csrf

router = APIRouter(prefix="/api/portal", tags=["portal"])

SIGNED_OUT = "Your session has ended. Sign in again."


@router.put("/tenants/{tenantId}/entitlements", response_model=PortalSaveOut)
async def save_entitlements(
    tenantId: str,
    body: EntitlementsUpdate,
    signed: Signed,
    response: Response,
    session: WriteSession,
    invalidator: InvalidatorDep,
    clock: ClockDep,
    if_match: Annotated[str | None, Header()] = None,
    x_csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> PortalSaveOut:
    if signed is None:
        raise Unauthorized(SIGNED_OUT)
    require_csrf(signed, x_csrf_token)
    principal = signed.principal
    active = signed.active_tenant
    # Only the session's active tenant, and only for a role that edits; anything else is the
    # same not-found as a tenant that does not exist.
    if (
        not principal.can(Permission.ENTITLEMENTS_EDIT)
        or active is None
        or active.id != tenantId
        or not principal.may_see_tenant(tenantId)
    ):
        raise NotFound(access_service.TENANT_NOT_FOUND)
    expected = parse_if_match(if_match, "If-Match")
    result = await entitlements_service.save_entitlements(
        session,
        invalidator,
        clock,
        principal,
        tenantId,
        body.entitlements,
        expected if expected is not None else body.version,
        require_version=True,
    )
    # The same tag the entitlements list answers with, so a client can compare the two.
    response.headers["ETag"] = etag(result.version, content_digest(result.effective))
    return PortalSaveOut(
        version=result.version,
        entitlements=[
            EntitlementOut.model_validate(e.as_json()) for e in result.effective.values()
        ],
    )
