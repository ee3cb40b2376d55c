"""Which scope each role of person needs: a tenant, a partner or neither. Pure."""

from __future__ import annotations

from allotment.access.policy import Role

CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_MANAGER, Role.CLIENT_STAFF})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})
PERSON_ROLES = frozenset({Role.PLATFORM_ADMIN}) | CLIENT_ROLES | PARTNER_ROLES

ROLE_LABELS: dict[Role, str] = {
    Role.PLATFORM_ADMIN: "Platform admin",
    Role.PARTNER_ADMIN: "Partner admin",
    Role.PARTNER_USER: "Partner user",
    Role.CLIENT_ADMIN: "Client admin",
    Role.CLIENT_MANAGER: "Client manager",
    Role.CLIENT_STAFF: "Client staff",
    Role.TENANT_SERVICE: "Tenant service key",
}


def scope_errors(role: Role, tenant_id: str | None, partner_id: str | None) -> list[dict[str, str]]:
    """Field messages for a person's role and scope that do not fit together."""
    errors: list[dict[str, str]] = []
    if role not in PERSON_ROLES:
        errors.append({"field": "role", "message": f"'{role.value}' is not a role for a person."})
        return errors
    if role in CLIENT_ROLES:
        if tenant_id is None:
            errors.append({"field": "tenantId", "message": "A client user needs a tenant."})
        if partner_id is not None:
            errors.append({"field": "partnerId", "message": "A client user has no partner."})
    elif role in PARTNER_ROLES:
        if partner_id is None:
            errors.append({"field": "partnerId", "message": "A partner user needs a partner."})
        if tenant_id is not None:
            errors.append({"field": "tenantId", "message": "A partner user has no tenant."})
    else:
        if tenant_id is not None:
            errors.append({"field": "tenantId", "message": "A platform admin has no tenant."})
        if partner_id is not None:
            errors.append({"field": "partnerId", "message": "A platform admin has no partner."})
    return errors
