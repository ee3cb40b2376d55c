"""What the Plan and Entitlements page shows, built from effective entitlements. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from allotment.catalog.snapshot import FeatureDef
from allotment.entitlements.resolution import UNLIMITED, Effective, Source

CAPABILITIES = (
    "recording_download",
    "transcript_export",
    "audit_log_access",
    "outbound_calling",
    "integrations",
    "api_key_management",
)
EXPORT_FEATURE = "transcript_export"
LIMITS = ("concurrent_calls", "user_seats")


@dataclass(frozen=True, slots=True)
class Item:
    feature_id: str
    label: str
    enabled: bool
    value: int | None
    # What a person reads: "Included", "Unlimited", "25 calls", "Not included".
    display: str

    @property
    def unlimited(self) -> bool:
        return self.enabled and self.value == UNLIMITED


@dataclass(frozen=True, slots=True)
class EntitlementsPage:
    mode: str
    tier: str
    capabilities: list[Item]
    formats: list[Item]
    limits: list[Item]
    # True when the tenant has no entitlement configured at all (nothing from a plan or override).
    empty: bool

    @property
    def summary(self) -> str:
        on = sum(1 for c in self.capabilities if c.enabled)
        return f"{on} of {len(self.capabilities)} capabilities are included in your plan."


def _limit_display(feature: FeatureDef, eff: Effective) -> str:
    if not eff.enabled or eff.value in (None, 0):
        return "Not included"
    if eff.value == UNLIMITED:
        return "Unlimited"
    return f"{eff.value} {feature.unit}" if feature.unit else str(eff.value)


def _item(feature: FeatureDef, eff: Effective) -> Item:
    if feature.is_number:
        display = _limit_display(feature, eff)
    else:
        display = "Included" if eff.enabled else "Not included"
    return Item(feature.id, feature.name, eff.enabled, eff.value, display)


def format_ids(features: Mapping[str, FeatureDef]) -> list[str]:
    kids = [f for f in features.values() if f.parent_id == EXPORT_FEATURE]
    return [f.id for f in sorted(kids, key=lambda f: (f.sort_order, f.id))]


def build_page(
    mode: str,
    tier: str,
    features: Mapping[str, FeatureDef],
    effective: Mapping[str, Effective],
) -> EntitlementsPage:
    def items(ids: list[str] | tuple[str, ...]) -> list[Item]:
        return [_item(features[f], effective[f]) for f in ids if f in features and f in effective]

    capabilities = items(CAPABILITIES)
    formats = items(format_ids(features))
    limits = items(LIMITS)
    shown = [*capabilities, *formats, *limits]
    empty = all(effective[i.feature_id].source is Source.DEFAULT for i in shown)
    return EntitlementsPage(mode, tier, capabilities, formats, limits, empty)
