"""Effective entitlements: plan cell, then tenant override, then feature default. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from allotment.catalog.snapshot import CellDef, FeatureDef

UNLIMITED = -1


class Source(StrEnum):
    PLAN = "plan"
    OVERRIDE = "override"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class OverrideDef:
    enabled: bool
    value: int | None = None


@dataclass(frozen=True, slots=True)
class Effective:
    feature_id: str
    type: str
    enabled: bool
    value: int | None
    source: Source

    @property
    def allowed(self) -> bool:
        """On, and (for numbers) not limited to zero: the answer to ``check_entitlement``."""
        if not self.enabled:
            return False
        return self.type != "NUMBER" or self.value is None or self.value != 0

    @property
    def unlimited(self) -> bool:
        return self.value == UNLIMITED

    def as_json(self) -> dict[str, object]:
        return {
            "featureId": self.feature_id,
            "type": self.type,
            "enabled": self.enabled,
            "value": self.value,
            "source": self.source.value,
        }


def resolve_feature(
    feature: FeatureDef, cell: CellDef | None, override: OverrideDef | None
) -> Effective:
    value: int | None
    if cell is not None:
        enabled, value, source = cell.enabled, cell.value, Source.PLAN
    else:
        enabled, value, source = feature.default_enabled, feature.default_value, Source.DEFAULT
    if override is not None:
        enabled, source = override.enabled, Source.OVERRIDE
        if override.value is not None:
            value = override.value
    if feature.type == "NUMBER" and enabled and value == 0:
        # The seed's convention: a limit of 0 means no access.
        enabled = False
    return Effective(feature.id, feature.type, enabled, value, source)


def resolve_all(
    features: Mapping[str, FeatureDef],
    cells: Mapping[str, CellDef],
    overrides: Mapping[str, OverrideDef],
) -> dict[str, Effective]:
    """Resolve every feature, then switch off children whose parent is off."""
    resolved = {
        fid: resolve_feature(f, cells.get(fid), overrides.get(fid)) for fid, f in features.items()
    }
    for fid, feature in features.items():
        parent = resolved.get(feature.parent_id) if feature.parent_id else None
        if parent is not None and not parent.enabled and resolved[fid].enabled:
            e = resolved[fid]
            resolved[fid] = Effective(e.feature_id, e.type, False, e.value, e.source)
    return resolved
