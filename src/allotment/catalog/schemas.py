from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, field_validator

from allotment.access.schemas import CamelModel, DisplayName
from allotment.catalog.snapshot import ResetPeriod

FeatureId = Annotated[
    str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]
# -1 unlimited, 0 disabled, 1 enabled (boolean), > 1 a limit.
LimitValue = Annotated[StrictInt, Field(ge=-1)]


class FeatureType(StrEnum):
    BOOLEAN = "BOOLEAN"
    NUMBER = "NUMBER"


class FeatureCreate(CamelModel):
    id: FeatureId
    name: DisplayName
    description: str | None = Field(default=None, max_length=2000)
    type: FeatureType = FeatureType.BOOLEAN
    category: str | None = Field(default=None, max_length=100)
    default_enabled: StrictBool = False
    default_value: LimitValue | None = None
    unit: str | None = Field(default=None, max_length=50)
    reset_period: ResetPeriod | None = None
    action_name: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Z0-9_]+$"
    )
    parent: FeatureId | None = None
    requires_child: StrictBool = False

    @field_validator("type", mode="before")
    @classmethod
    def _type_any_case(cls, value: object) -> object:
        if isinstance(value, str):
            upper = value.strip().upper()
            if upper not in FeatureType.__members__:
                raise ValueError("type must be boolean or number")
            return upper
        return value


class FeatureOut(CamelModel):
    id: str
    name: str
    description: str | None
    type: FeatureType
    category: str | None
    default_enabled: bool
    default_value: int | None
    unit: str | None
    reset_period: str | None
    action_name: str
    parent: str | None
    requires_child: bool


class PackageOut(CamelModel):
    id: str
    name: str


class PlanEntitlementOut(CamelModel):
    id: str
    package_id: str
    feature_id: str
    enabled: bool
    value: int
    version: int


class PlanEntitlementUpdate(CamelModel):
    enabled: StrictBool
    value: LimitValue = -1
    # Optional optimistic-concurrency guard (also accepted as an If-Match header).
    version: StrictInt | None = None
