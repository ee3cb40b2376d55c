from __future__ import annotations

import pytest

from allotment.access.policy import POLICY, Permission, Role, allows, entitlements_view
from allotment.access.principals import Principal


def test_every_role_has_a_policy_row() -> None:
    assert set(POLICY) == set(Role)


def test_platform_admin_may_do_everything() -> None:
    assert all(allows(Role.PLATFORM_ADMIN, p) for p in Permission)


@pytest.mark.parametrize(
    ("role", "view"),
    [
        (Role.CLIENT_ADMIN, "detail"),
        (Role.CLIENT_MANAGER, "summary"),
        (Role.CLIENT_STAFF, None),
        (Role.PARTNER_ADMIN, "edit"),
        (Role.PARTNER_USER, None),
        (Role.PLATFORM_ADMIN, "edit"),
    ],
)
def test_entitlements_page_view_per_seed_role(role: Role, view: str | None) -> None:
    assert entitlements_view(role) == view


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM_ADMIN])
def test_only_platform_admin_touches_the_catalog(role: Role) -> None:
    assert not allows(role, Permission.CATALOG_WRITE)
    assert not allows(role, Permission.CATALOG_READ)


def test_tenant_scope() -> None:
    platform = Principal(role=Role.PLATFORM_ADMIN)
    key = Principal(role=Role.TENANT_SERVICE, tenant_id="t1")
    partner = Principal(role=Role.PARTNER_ADMIN, assigned_tenant_ids=frozenset({"t2"}))
    nobody = Principal(role=Role.PARTNER_USER)
    assert platform.may_see_tenant("anything")
    assert key.may_see_tenant("t1") and not key.may_see_tenant("t2")
    assert partner.may_see_tenant("t2") and not partner.may_see_tenant("t1")
    assert not nobody.may_see_tenant("t1")
