"""OFREP: ``POST /ofrep/v1/evaluate/flags/{key}`` and the bulk ``POST /ofrep/v1/evaluate/flags``.

The flag key is the feature id and ``context.targetingKey`` the tenant id. Evaluations read the
in-process entitlement cache, so a warm evaluation runs no SQL.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from allotment.access.dependencies import current_principal
from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.entitlements.cache import EntitlementCache, TenantView
from allotment.errors import Forbidden
from allotment.kit.etag import none_match
from allotment.ofrep import service
from allotment.ofrep.schemas import (
    BulkEvaluationFailure,
    BulkEvaluationSuccess,
    EvaluationFailure,
    EvaluationRequest,
    EvaluationSuccess,
)
from allotment.ofrep.service import OfrepFailure

router = APIRouter(prefix="/ofrep/v1", tags=["OpenFeature (OFREP)"])

Caller = Annotated[Principal, Depends(current_principal)]

_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": EvaluationRequest.model_json_schema()}},
    }
}


def _json(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status_code, media_type="application/json", headers=headers
    )


async def _tenant(request: Request, principal: Principal) -> TenantView:
    if not principal.can(Permission.ENTITLEMENTS_CHECK):
        raise Forbidden()
    tenant_id = service.targeting_key(await request.body())
    if not principal.may_see_tenant(tenant_id):
        raise service.unknown_tenant()
    cache: EntitlementCache = request.app.state.entitlements
    view = cache.peek(tenant_id) or await cache.tenant(tenant_id)
    if view is None:
        raise service.unknown_tenant()
    return view


@router.post(
    "/evaluate/flags/{key}",
    response_model=EvaluationSuccess,
    openapi_extra=_REQUEST_BODY,
    responses={
        400: {"model": EvaluationFailure, "description": "Bad context"},
        404: {"model": EvaluationFailure, "description": "Flag not found"},
    },
)
async def evaluate_flag(key: str, request: Request, principal: Caller) -> Response:
    try:
        view = await _tenant(request, principal)
        eff = view.effective.get(key)
        if eff is None:
            raise service.flag_not_found(key)
    except OfrepFailure as failure:
        return _json(failure.body(key), failure.status_code)
    return _json(service.evaluation(eff, view.package_id))


@router.post(
    "/evaluate/flags",
    response_model=BulkEvaluationSuccess,
    openapi_extra=_REQUEST_BODY,
    responses={
        304: {"description": "Not modified since the ETag in If-None-Match"},
        400: {"model": BulkEvaluationFailure, "description": "Bad context"},
    },
)
async def evaluate_flags(request: Request, principal: Caller) -> Response:
    try:
        view = await _tenant(request, principal)
    except OfrepFailure as failure:
        return _json(failure.body(None), failure.status_code)
    flags = [service.evaluation(eff, view.package_id) for eff in view.effective.values()]
    body = orjson.dumps({"flags": flags})
    # A content tag: it changes whenever any answer does, whether a tenant or a plan changed.
    tag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    if none_match(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type="application/json", headers={"ETag": tag})
