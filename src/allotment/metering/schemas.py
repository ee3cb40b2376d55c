"""Request and response bodies of the metering routes (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AnyHttpUrl, Field, field_validator

from allotment.access.schemas import CamelModel

_MAX_QUANTITY = Decimal(10) ** 14


def _check_amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    if value <= 0:
        raise ValueError("amount must be greater than 0")
    if value >= _MAX_QUANTITY:
        raise ValueError("amount must be below 10^14")
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ValueError("amount may have at most 6 decimals")
    return value


class ConsumeIn(CamelModel):
    amount: Decimal = Decimal(1)
    idempotency_key: str = Field(min_length=1, max_length=200)
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    key: str | None = Field(default=None, min_length=1, max_length=200)

    _amount = field_validator("amount")(_check_amount)


class CheckIn(CamelModel):
    amount: Decimal = Decimal(1)
    key: str | None = Field(default=None, min_length=1, max_length=200)

    _amount = field_validator("amount")(_check_amount)


class DecisionOut(CamelModel):
    allowed: bool
    remaining: float
    limit: int
    used: float


class UsageLineOut(CamelModel):
    feature_id: str
    used: float
    limit: int
    remaining: float
    window_start: str | None
    window_end: str | None
    percent_used: float


class UsageSummaryOut(CamelModel):
    tenant_id: str
    features: list[UsageLineOut]


class RejectionOut(CamelModel):
    index: int
    idempotency_key: str | None
    reason: str


class IngestOut(CamelModel):
    accepted: int
    duplicates: int
    rejected: int
    rejections: list[RejectionOut]


# -- webhooks -------------------------------------------------------------------------------


class WebhookCreate(CamelModel):
    url: AnyHttpUrl
    description: str | None = Field(default=None, max_length=500)

    @field_validator("url")
    @classmethod
    def _short_enough(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(value)) > 2000:
            raise ValueError("url must be at most 2000 characters")
        return value


class WebhookOut(CamelModel):
    id: str
    tenant_id: str | None
    url: str
    description: str | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    # The signing secret: returned once, at creation, never again.
    secret: str


class DeliveryOut(CamelModel):
    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]
