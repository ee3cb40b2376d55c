"""Registering webhook endpoints (platform-wide or per tenant) and reading their delivery log."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.errors import NotFound
from allotment.kit.clock import Clock
from allotment.kit.ids import new_id
from allotment.metering import webhooks_repository as repository
from allotment.metering.models import WebhookDelivery, WebhookEndpoint
from allotment.metering.schemas import DeliveryOut, WebhookCreate

WEBHOOK_NOT_FOUND = "Webhook not found."
DELIVERY_LOG_SIZE = 100


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def register(
    session: AsyncSession, clock: Clock, tenant_id: str | None, data: WebhookCreate
) -> WebhookEndpoint:
    row = WebhookEndpoint(
        id=new_id("whk"),
        tenant_id=tenant_id,
        url=str(data.url),
        secret=new_secret(),
        description=data.description,
        created_at=clock(),
    )
    session.add(row)
    await session.flush()
    return row


async def list_endpoints(session: AsyncSession, tenant_id: str | None) -> Sequence[WebhookEndpoint]:
    return await repository.list_endpoints(session, tenant_id)


async def get_endpoint(
    session: AsyncSession, endpoint_id: str, tenant_id: str | None
) -> WebhookEndpoint:
    """An endpoint of this tenant (None: of the platform); any other is simply not found."""
    row = await repository.get_endpoint(session, endpoint_id, tenant_id)
    if row is None:
        raise NotFound(WEBHOOK_NOT_FOUND)
    return row


async def remove(session: AsyncSession, endpoint_id: str, tenant_id: str | None) -> None:
    await get_endpoint(session, endpoint_id, tenant_id)
    await repository.delete_endpoint(session, endpoint_id)


async def deliveries(
    session: AsyncSession, endpoint_id: str, tenant_id: str | None
) -> list[DeliveryOut]:
    await get_endpoint(session, endpoint_id, tenant_id)
    rows = await repository.list_deliveries(session, endpoint_id, DELIVERY_LOG_SIZE)
    return [delivery_out(r) for r in rows]


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
        payload=orjson.loads(row.payload),
    )
