"""Queries for webhook endpoints and deliveries, including the delivery lease."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.metering.models import WebhookDelivery, WebhookEndpoint


async def list_endpoints(session: AsyncSession, tenant_id: str | None) -> Sequence[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    stmt = stmt.where(
        WebhookEndpoint.tenant_id == tenant_id
        if tenant_id is not None
        else WebhookEndpoint.tenant_id.is_(None)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_endpoint(
    session: AsyncSession, endpoint_id: str, tenant_id: str | None
) -> WebhookEndpoint | None:
    row = await session.get(WebhookEndpoint, endpoint_id)
    if row is None or row.tenant_id != tenant_id:
        return None
    return row


async def delete_endpoint(session: AsyncSession, endpoint_id: str) -> None:
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


async def list_deliveries(
    session: AsyncSession, endpoint_id: str, limit: int
) -> Sequence[WebhookDelivery]:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def lease_due(
    session: AsyncSession, now: datetime, until: datetime, batch: int
) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Take up to ``batch`` due deliveries for this process until ``until``.

    ``FOR UPDATE SKIP LOCKED`` lets several processes lease side by side without waiting on or
    taking each other's rows; on SQLite the write session's BEGIN IMMEDIATE serialises them.
    The lease, not the lock, keeps a row ours after this transaction commits.
    """
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    leased = (
        (
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(due.scalar_subquery()))
                .values(lease_until=until, attempts=WebhookDelivery.attempts + 1)
                .returning(WebhookDelivery.id)
            )
        )
        .scalars()
        .all()
    )
    if not leased:
        return []
    rows = await session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(leased))
        .execution_options(populate_existing=True)
    )
    return [(d, e) for d, e in rows.all()]


async def finish(
    session: AsyncSession,
    delivery_id: str,
    *,
    status: str,
    next_attempt_at: datetime | None,
    status_code: int | None,
    error: str | None,
    delivered_at: datetime | None,
) -> None:
    values: dict[str, object] = {
        "status": status,
        "lease_until": None,
        "last_status_code": status_code,
        "last_error": error,
        "delivered_at": delivered_at,
    }
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    await session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
    )
