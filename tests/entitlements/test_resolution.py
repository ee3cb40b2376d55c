"""Resolution and parent/child rules, without a database, at their edges."""

from __future__ import annotations

from allotment.catalog.snapshot import CellDef, FeatureDef
from allotment.entitlements.resolution import (
    Effective,
    OverrideDef,
    Source,
    resolve_all,
    resolve_feature,
)
from allotment.entitlements.rules import check_parent_child

FLAG = FeatureDef(id="flag", name="Flag", type="BOOLEAN")
FLAG_ON_BY_DEFAULT = FeatureDef(id="flag2", name="Flag 2", type="BOOLEAN", default_enabled=True)
LIMIT = FeatureDef(id="limit", name="Limit", type="NUMBER", default_value=0)
EXPORT = FeatureDef(
    id="export", name="Transcript export", type="BOOLEAN", requires_child=True, child_noun="format"
)
CSV = FeatureDef(id="export.csv", name="CSV", type="BOOLEAN", parent_id="export")
PDF = FeatureDef(id="export.pdf", name="PDF", type="BOOLEAN", parent_id="export")


def test_default_when_no_cell_and_no_override() -> None:
    assert resolve_feature(FLAG, None, None) == Effective(
        "flag", "BOOLEAN", False, None, Source.DEFAULT
    )
    assert resolve_feature(FLAG_ON_BY_DEFAULT, None, None).allowed is True


def test_plan_cell_beats_default() -> None:
    eff = resolve_feature(FLAG, CellDef(True, 1), None)
    assert (eff.enabled, eff.value, eff.source) == (True, 1, Source.PLAN)


def test_override_beats_plan_and_keeps_plan_value_when_none() -> None:
    eff = resolve_feature(LIMIT, CellDef(True, 10), OverrideDef(True, None))
    assert (eff.enabled, eff.value, eff.source) == (True, 10, Source.OVERRIDE)
    eff = resolve_feature(LIMIT, CellDef(True, 10), OverrideDef(True, 25))
    assert eff.value == 25


def test_override_can_switch_off() -> None:
    eff = resolve_feature(FLAG, CellDef(True, 1), OverrideDef(False))
    assert (eff.enabled, eff.allowed, eff.source) == (False, False, Source.OVERRIDE)


def test_number_minus_one_is_unlimited_and_allowed() -> None:
    eff = resolve_feature(LIMIT, CellDef(True, -1), None)
    assert eff.allowed and eff.unlimited


def test_number_zero_means_no_access_even_if_enabled() -> None:
    eff = resolve_feature(LIMIT, CellDef(True, 0), None)
    assert (eff.enabled, eff.allowed, eff.value) == (False, False, 0)


def test_number_one_is_a_limit_of_one() -> None:
    eff = resolve_feature(LIMIT, CellDef(True, 1), None)
    assert eff.allowed and not eff.unlimited and eff.value == 1


def test_boolean_value_zero_does_not_disable_an_enabled_boolean() -> None:
    # For booleans `enabled` decides; the seed stores -1 or 1 beside them.
    assert resolve_feature(FLAG, CellDef(True, 0), None).allowed is True


def test_children_are_off_while_parent_is_off() -> None:
    features = {f.id: f for f in (EXPORT, CSV, PDF)}
    cells = {
        "export": CellDef(False, 0),
        "export.csv": CellDef(True, 1),
        "export.pdf": CellDef(True, 1),
    }
    resolved = resolve_all(features, cells, {})
    assert not resolved["export.csv"].enabled and not resolved["export.pdf"].enabled
    resolved = resolve_all(features, cells, {"export": OverrideDef(True)})
    assert resolved["export.csv"].enabled and resolved["export.pdf"].enabled


def test_rule_parent_on_needs_a_child() -> None:
    features = {f.id: f for f in (EXPORT, CSV, PDF)}
    violations = check_parent_child(
        features, {"export": True, "export.csv": False, "export.pdf": False}
    )
    assert [(v.field, v.message) for v in violations] == [
        ("export", "If transcript export is enabled, at least one format must be selected.")
    ]


def test_rule_parent_off_allows_no_child() -> None:
    features = {f.id: f for f in (EXPORT, CSV, PDF)}
    violations = check_parent_child(features, {"export": False, "export.csv": True})
    assert [(v.field, v.message) for v in violations] == [
        ("export", "If transcript export is disabled, no formats can be selected.")
    ]


def test_rule_valid_states() -> None:
    features = {f.id: f for f in (EXPORT, CSV, PDF)}
    assert check_parent_child(features, {"export": True, "export.pdf": True}) == []
    assert check_parent_child(features, {"export": False}) == []


def test_rule_parent_without_requires_child_may_be_on_alone() -> None:
    parent = FeatureDef(id="p", name="P", type="BOOLEAN")
    child = FeatureDef(id="p.c", name="C", type="BOOLEAN", parent_id="p")
    assert check_parent_child({"p": parent, "p.c": child}, {"p": True}) == []
