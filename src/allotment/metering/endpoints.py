"""Thin HTTP for metering: consume, checkAIAction, the usage summary and event ingest."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response

from allotment.access.dependencies import current_principal, demand
from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.db.dependencies import ClockDep, ReadSession, WriteSession
from allotment.entitlements.dependencies import Cache
from allotment.errors import BadRequest, Forbidden, ValidationFailed
from allotment.metering import service
from allotment.metering.ingest import MAX_BATCH, ingest
from allotment.metering.runtime import Metering
from allotment.metering.schemas import (
    CheckIn,
    ConsumeIn,
    DecisionOut,
    IngestOut,
    UsageSummaryOut,
)
from allotment.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["metering"])

Caller = Annotated[Principal, Depends(current_principal)]


class MalformedJson(BadRequest):
    code = "malformed_json"


def _json(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


@router.post(
    "/tenants/{tenantId}/actions/{action}/check",
    response_model=DecisionOut,
    summary="checkAIAction: would one more use of this action be allowed now?",
)
async def check_action(
    tenantId: str,
    action: str,
    principal: Caller,
    cache: Cache,
    session: ReadSession,
    clock: ClockDep,
    body: Annotated[CheckIn | None, Body()] = None,
) -> Response:
    demand(principal, tenantId, Permission.ENTITLEMENTS_CHECK)
    await service.tenant_view(cache, tenantId)
    feature = service.feature_for_action(await cache.catalog(), action)
    wanted = body or CheckIn()
    result = await service.check(
        session, cache, clock, tenantId, feature, amount=wanted.amount, key=wanted.key
    )
    return _json(result.as_json())


@router.post(
    "/tenants/{tenantId}/features/{featureId}/consume",
    response_model=DecisionOut,
    summary="Check and record use of a metered feature in one atomic step",
)
async def consume(
    tenantId: str,
    featureId: str,
    body: ConsumeIn,
    principal: Caller,
    request: Request,
) -> Response:
    demand(principal, tenantId, Permission.USAGE_RECORD)
    # Its own unit of work: the answer is sent only after the outcome is committed.
    metering: Metering = request.app.state.metering
    result = await metering.consume(
        tenantId,
        featureId,
        body.amount,
        idempotency_key=body.idempotency_key,
        user_id=body.user_id,
        key=body.key,
    )
    return _json(result.as_json())


@router.get("/tenants/{tenantId}/usage", response_model=UsageSummaryOut)
async def usage_summary(
    tenantId: str,
    principal: Caller,
    cache: Cache,
    session: ReadSession,
    clock: ClockDep,
) -> Response:
    demand(principal, tenantId, Permission.USAGE_READ)
    lines = await service.usage_summary(session, cache, clock, tenantId)
    return _json({"tenantId": tenantId, "features": [line.as_json() for line in lines]})


_EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "description": 'One event, or {"events": [...]} with up to 1,000 events. '
                    "Each: tenantId, featureId, quantity (number or numeric string, default 1), "
                    "userId?, key?, timestamp? (ISO 8601, default now), idempotencyKey.",
                    "type": "object",
                }
            }
        },
    }
}


@router.post(
    "/usage/events",
    response_model=IngestOut,
    openapi_extra=_EVENTS_BODY,
    summary="Record usage events (one, or a batch of up to 1,000)",
)
async def record_events(
    request: Request,
    principal: Caller,
    cache: Cache,
    session: WriteSession,
    clock: ClockDep,
) -> Response:
    if not principal.can(Permission.USAGE_RECORD):
        raise Forbidden()
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise MalformedJson("The request body is not valid JSON.") from None
    events = _events_of(payload)
    settings: Settings = request.app.state.settings
    result = await ingest(
        session,
        cache,
        clock(),
        principal,
        events,
        max_lateness=timedelta(seconds=settings.usage_max_lateness_seconds),
        max_future=timedelta(seconds=settings.usage_max_future_seconds),
    )
    return _json(result.as_json())


def _events_of(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and "events" in payload:
        events = payload["events"]
        if not isinstance(events, list):
            raise ValidationFailed.field("events", "events must be a list of event objects.")
        if not events:
            raise ValidationFailed.field("events", "events must not be empty.")
        if len(events) > MAX_BATCH:
            raise ValidationFailed.field(
                "events", f"A batch holds at most {MAX_BATCH} events; got {len(events)}."
            )
        return events
    if isinstance(payload, dict):
        return [payload]
    raise ValidationFailed.field("body", 'Send one event object or {"events": [...]}.')
