"""Validation of a proposed set of entitlements (parent and child rules). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from allotment.catalog.snapshot import FeatureDef


@dataclass(frozen=True, slots=True)
class RuleViolation:
    field: str
    message: str


def _noun(parent: FeatureDef) -> str:
    return parent.child_noun or "option"


def check_parent_child(
    features: Mapping[str, FeatureDef], enabled: Mapping[str, bool]
) -> list[RuleViolation]:
    """``enabled`` is the proposed on/off state of every feature.

    - a child may be on only while its parent is on;
    - a parent marked ``requires_child`` may be on only with at least one child on.
    """
    violations: list[RuleViolation] = []
    children: dict[str, list[str]] = {}
    for fid, feature in features.items():
        if feature.parent_id is not None:
            children.setdefault(feature.parent_id, []).append(fid)
    for parent_id, kids in sorted(children.items()):
        parent = features.get(parent_id)
        if parent is None:
            continue
        label = parent.name.lower()
        on_kids = [k for k in kids if enabled.get(k, False)]
        if enabled.get(parent_id, False):
            if parent.requires_child and not on_kids:
                violations.append(
                    RuleViolation(
                        parent_id,
                        f"If {label} is enabled, at least one {_noun(parent)} must be selected.",
                    )
                )
        elif on_kids:
            violations.append(
                RuleViolation(
                    parent_id, f"If {label} is disabled, no {_noun(parent)}s can be selected."
                )
            )
    return violations
