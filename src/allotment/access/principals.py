from __future__ import annotations

from dataclasses import dataclass

from allotment.access.policy import Permission, Role, allows


@dataclass(frozen=True, slots=True)
class Principal:
    """Whoever is calling: an API key or a signed-in person, with the tenants it may act on."""

    role: Role
    # The one tenant a tenant key or a client user belongs to.
    tenant_id: str | None = None
    # The clients a partner admin is assigned; None for roles not limited this way.
    assigned_tenant_ids: frozenset[str] | None = None
    key_id: str | None = None
    user_id: str | None = None
    partner_id: str | None = None
    display_name: str = ""

    @property
    def is_platform(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    def may_see_tenant(self, tenant_id: str) -> bool:
        if self.is_platform:
            return True
        if self.tenant_id is not None:
            return self.tenant_id == tenant_id
        if self.assigned_tenant_ids is not None:
            return tenant_id in self.assigned_tenant_ids
        return False
