"""Plain, immutable views of the catalog for the pure rules and the in-process caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from allotment.catalog.actions import default_action_name
from allotment.catalog.models import Feature, PlanEntitlement


class ResetPeriod(StrEnum):
    """When a metered feature's count starts again."""

    NONE = "none"
    MONTH = "month"
    WEEK = "week"
    BILLING_PERIOD = "billing_period"
    SESSION_6H = "session_6h"
    PER_KEY = "per_key"


@dataclass(frozen=True, slots=True)
class FeatureDef:
    id: str
    name: str
    type: str
    default_enabled: bool = False
    default_value: int | None = None
    parent_id: str | None = None
    requires_child: bool = False
    child_noun: str | None = None
    category: str | None = None
    unit: str | None = None
    reset_period: str | None = None
    action_name: str = ""
    sort_order: int = 0

    @property
    def is_number(self) -> bool:
        return self.type == "NUMBER"


@dataclass(frozen=True, slots=True)
class CellDef:
    enabled: bool
    value: int


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    features: dict[str, FeatureDef]
    # (package id, feature id) -> cell
    cells: dict[tuple[str, str], CellDef]
    package_ids: frozenset[str] = field(default_factory=frozenset)
    actions: dict[str, str] = field(default_factory=dict)


def feature_def(row: Feature) -> FeatureDef:
    return FeatureDef(
        id=row.id,
        name=row.name,
        type=row.type,
        default_enabled=row.default_enabled,
        default_value=row.default_value,
        parent_id=row.parent_id,
        requires_child=row.requires_child,
        child_noun=row.child_noun,
        category=row.category,
        unit=row.unit,
        reset_period=row.reset_period,
        action_name=row.action_name or default_action_name(row.id),
        sort_order=row.sort_order,
    )


def build_snapshot(
    features: list[Feature], cells: list[PlanEntitlement], package_ids: list[str]
) -> CatalogSnapshot:
    defs = {row.id: feature_def(row) for row in features}
    return CatalogSnapshot(
        features=defs,
        cells={(c.package_id, c.feature_id): CellDef(c.enabled, c.value) for c in cells},
        package_ids=frozenset(package_ids),
        actions={d.action_name: d.id for d in defs.values()},
    )
