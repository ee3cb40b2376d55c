from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictBool, StrictInt, field_validator

from allotment.access.schemas import CamelModel, DisplayName
from allotment.catalog.schemas import FeatureId, LimitValue


def _valid_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{value}'") from exc
    return value


class TenantCreate(CamelModel):
    name: DisplayName
    package_id: str = Field(min_length=1, max_length=100)
    time_zone: str = Field(default="UTC", max_length=64)

    _zone = field_validator("time_zone")(_valid_zone)


class TenantUpdate(CamelModel):
    name: DisplayName | None = None
    package_id: str | None = Field(default=None, min_length=1, max_length=100)
    time_zone: str | None = Field(default=None, max_length=64)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else _valid_zone(value)


class TenantOut(CamelModel):
    id: str
    name: str
    package_id: str
    time_zone: str
    entitlements_version: int
    created_at: datetime


class EntitlementOut(CamelModel):
    feature_id: str
    type: str
    enabled: bool
    value: int | None
    source: str


class EntitlementChange(CamelModel):
    feature_id: FeatureId
    enabled: StrictBool
    value: LimitValue | None = None


class EntitlementsUpdate(CamelModel):
    entitlements: list[EntitlementChange] = Field(max_length=1000)
    # Optimistic concurrency: the version the change was based on (or send If-Match).
    version: StrictInt | None = None


class OverrideOut(CamelModel):
    feature_id: str
    enabled: bool
    value: int | None
    updated_at: datetime
    updated_by: str | None


class OverridesOut(CamelModel):
    tenant_id: str
    version: int
    overrides: list[OverrideOut]
