"""Threshold crossings become outbox rows in the transaction that caused them.

Nothing here talks to the network: the consume (or ingest) that crosses 80 % or 100 % of a limit
adds one ``threshold_events`` row, unique per tenant, feature, window and threshold, so once per
window even if a limit change lets a counter cross again. The delivery worker later fans each
event out to the endpoints that listen (``dispatch``) and sends them, so a slow receiver never
slows a consume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import orjson
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.kit.ids import new_id
from allotment.metering.models import ThresholdEvent, WebhookDelivery, WebhookEndpoint
from allotment.metering.quota import json_number
from allotment.metering.repository import upsert
from allotment.metering.windows import SESSION_KEY, Window

EVENT_TYPE = "usage.threshold_crossed"


@dataclass(frozen=True, slots=True)
class Crossing:
    tenant_id: str
    feature_id: str
    window: Window
    counter_key: str
    threshold: int
    used: Decimal
    limit: int


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def event_body(event_id: str, crossing: Crossing, now: datetime) -> str:
    return orjson.dumps(
        {
            "id": event_id,
            "type": EVENT_TYPE,
            "createdAt": _iso(now),
            "data": {
                "tenantId": crossing.tenant_id,
                "featureId": crossing.feature_id,
                "threshold": crossing.threshold,
                "used": json_number(crossing.used),
                "limit": crossing.limit,
                "key": crossing.counter_key or None,
                "windowStart": _iso(crossing.window.start),
                "windowEnd": _iso(crossing.window.end),
            },
        }
    ).decode()


def outbox_window_key(window: Window) -> str:
    """The window's name for "once per window". A 6-hour session keeps one counter row (key
    ``session``) across sessions, so its crossings are told apart by the session's start."""
    if window.key == SESSION_KEY and window.start is not None:
        return f"{SESSION_KEY}:{window.start.isoformat()}"
    return window.key


async def record_crossings(session: AsyncSession, now: datetime, crossings: list[Crossing]) -> None:
    for crossing in crossings:
        await session.execute(
            upsert(session, ThresholdEvent)
            .values(
                id=new_id("evt"),
                tenant_id=crossing.tenant_id,
                feature_id=crossing.feature_id,
                window_key=outbox_window_key(crossing.window),
                counter_key=crossing.counter_key,
                threshold=crossing.threshold,
                used=crossing.used,
                limit=crossing.limit,
                window_start=crossing.window.start,
                window_end=crossing.window.end,
                occurred_at=now,
            )
            .on_conflict_do_nothing()
        )


def crossing_of(event: ThresholdEvent) -> Crossing:
    in_session = event.window_key.startswith(SESSION_KEY + ":")
    window_key = SESSION_KEY if in_session else event.window_key
    return Crossing(
        event.tenant_id,
        event.feature_id,
        Window(window_key, event.window_start, event.window_end),
        event.counter_key,
        event.threshold,
        Decimal(event.used),
        event.limit,
    )


async def dispatch(session: AsyncSession, now: datetime, batch: int = 100) -> int:
    """Fan undispatched events out to the endpoints listening now: one pending delivery each.

    ``FOR UPDATE SKIP LOCKED`` lets several workers dispatch side by side without taking the
    same event twice (SQLite's write lock serialises them instead).
    """
    events = (
        (
            await session.execute(
                select(ThresholdEvent)
                .where(ThresholdEvent.dispatched_at.is_(None))
                .order_by(ThresholdEvent.occurred_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for event in events:
        listeners = (
            await session.execute(
                select(WebhookEndpoint.id).where(
                    or_(
                        WebhookEndpoint.tenant_id == event.tenant_id,
                        WebhookEndpoint.tenant_id.is_(None),
                    )
                )
            )
        ).scalars()
        body = event_body(event.id, crossing_of(event), event.occurred_at)
        rows = [
            {
                "id": new_id("dlv"),
                "endpoint_id": endpoint_id,
                "event_id": event.id,
                "event_type": EVENT_TYPE,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint_id in listeners
        ]
        if rows:
            await session.execute(upsert(session, WebhookDelivery), rows)
        event.dispatched_at = now
    await session.flush()
    return len(events)
