"""Metering tables: events, counters per window, the consume ledger, threshold webhooks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from allotment.db.base import Base, UTCDateTime

# Quantities: whole units up to 10^14 with six decimals (cost in USD, minutes, tokens).
Quantity = Numeric(20, 6)


class UsageEvent(Base):
    """One recorded use, identified by its tenant and idempotency key (a retry is a conflict).

    Deliberately lean for ingest speed: the natural key is the primary key (one index, no
    sequence), and there is no foreign key to tenants (ingest checks tenants against the
    in-process cache; per-row FK triggers would cost a large share of the insert rate).
    """

    __tablename__ = "usage_events"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    feature_id: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    user_id: Mapped[str | None] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeterCounter(Base):
    """The total used in one window of one feature for one tenant (and one key, for per-key
    features). Consumption changes ``used`` only through one conditional UPDATE."""

    __tablename__ = "meter_counters"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    feature_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter_key: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Consumption(Base):
    """The outcome of one consume, by idempotency key: a retry answers from here."""

    __tablename__ = "consumptions"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    feature_id: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Quantity)
    user_id: Mapped[str | None] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200))
    allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    used: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    limit: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ThresholdEvent(Base):
    """A tenant crossed a share of a limit in a window: the webhook outbox, one row per crossing,
    written by the statement that counted the crossing use. The delivery worker fans it out to
    the listening endpoints and sets ``dispatched_at``."""

    __tablename__ = "threshold_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "feature_id", "window_key", "counter_key", "threshold"),
        Index("ix_threshold_events_undispatched", "dispatched_at", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    feature_id: Mapped[str] = mapped_column(String(100))
    window_key: Mapped[str] = mapped_column(String(64))
    counter_key: Mapped[str] = mapped_column(String(200))
    threshold: Mapped[int] = mapped_column(Integer)
    used: Mapped[Decimal] = mapped_column(Quantity)
    limit: Mapped[int] = mapped_column(BigInteger)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEndpoint(Base):
    """Where threshold events go. ``tenant_id`` None: a platform endpoint, hearing every tenant."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # Kept as given: signing needs it. Shown to the caller once, at creation.
    secret: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One event to one endpoint: its body (fixed, so every retry signs the same bytes), its
    state, attempts and last result. ``lease_until`` lets exactly one process send it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(ForeignKey("threshold_events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
