"""Who may do what: a pure table from role to permissions. No I/O here."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    PARTNER_ADMIN = "partner_admin"
    PARTNER_USER = "partner_user"
    CLIENT_ADMIN = "client_admin"
    CLIENT_MANAGER = "client_manager"
    CLIENT_STAFF = "client_staff"
    # A tenant-scoped API key used by the operator's own backend for runtime checks.
    TENANT_SERVICE = "tenant_service"


class Permission(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    TENANTS_CREATE = "tenants:create"
    TENANTS_LIST_ALL = "tenants:list_all"
    TENANT_READ = "tenant:read"
    TENANT_UPDATE = "tenant:update"
    ENTITLEMENTS_CHECK = "entitlements:check"
    ENTITLEMENTS_VIEW_SUMMARY = "entitlements:view_summary"
    ENTITLEMENTS_VIEW_DETAIL = "entitlements:view_detail"
    ENTITLEMENTS_EDIT = "entitlements:edit"
    AUDIT_READ = "audit:read"
    USAGE_RECORD = "usage:record"
    USAGE_READ = "usage:read"
    API_KEYS_MANAGE = "api_keys:manage"
    USERS_MANAGE = "users:manage"
    PARTNERS_MANAGE = "partners:manage"
    BILLING_VIEW = "billing:view"


P = Permission

POLICY: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset(Permission),
    Role.PARTNER_ADMIN: frozenset(
        {
            P.TENANT_READ,
            P.ENTITLEMENTS_CHECK,
            P.ENTITLEMENTS_VIEW_SUMMARY,
            P.ENTITLEMENTS_VIEW_DETAIL,
            P.ENTITLEMENTS_EDIT,
            P.AUDIT_READ,
            P.USAGE_READ,
            P.BILLING_VIEW,
        }
    ),
    Role.PARTNER_USER: frozenset({P.TENANT_READ}),
    Role.CLIENT_ADMIN: frozenset(
        {
            P.TENANT_READ,
            P.ENTITLEMENTS_CHECK,
            P.ENTITLEMENTS_VIEW_SUMMARY,
            P.ENTITLEMENTS_VIEW_DETAIL,
            P.AUDIT_READ,
            P.USAGE_READ,
            P.BILLING_VIEW,
        }
    ),
    Role.CLIENT_MANAGER: frozenset(
        {P.TENANT_READ, P.ENTITLEMENTS_VIEW_SUMMARY, P.USAGE_READ, P.BILLING_VIEW}
    ),
    Role.CLIENT_STAFF: frozenset({P.TENANT_READ}),
    Role.TENANT_SERVICE: frozenset(
        {
            P.TENANT_READ,
            P.ENTITLEMENTS_CHECK,
            P.ENTITLEMENTS_VIEW_SUMMARY,
            P.ENTITLEMENTS_VIEW_DETAIL,
            P.USAGE_RECORD,
            P.USAGE_READ,
        }
    ),
}

# Roles whose audit-log right also needs the tenant's own `audit_log_access` entitlement.
AUDIT_NEEDS_ENTITLEMENT: frozenset[Role] = frozenset({Role.CLIENT_ADMIN})


def allows(role: Role, permission: Permission) -> bool:
    return permission in POLICY[role]


def entitlements_view(role: Role) -> str | None:
    """Which view of the Plan and Entitlements page a role gets: edit, detail, summary or none."""
    if allows(role, P.ENTITLEMENTS_EDIT):
        return "edit"
    if allows(role, P.ENTITLEMENTS_VIEW_DETAIL):
        return "detail"
    if allows(role, P.ENTITLEMENTS_VIEW_SUMMARY):
        return "summary"
    return None
