"""``allotment demo``: a small, idempotent demo world."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import people_service
from allotment.access import service as access_service
from allotment.access.models import Tenant
from allotment.access.passwords import hash_password, verify_password
from allotment.access.people_rules import ROLE_LABELS
from allotment.access.people_schemas import UserCreate
from allotment.access.policy import Role
from allotment.app import prepare_database
from allotment.db.invalidation import Invalidator
from allotment.db.session import Database
from allotment.entitlements import service as entitlements_service
from allotment.entitlements.schemas import TenantCreate
from allotment.kit.clock import utc_now
from allotment.settings import Settings

DEMO_TENANTS = (("Acme", "professional"), ("Globex", "starter"))
DEMO_PARTNER = "Demo Partner"
# Acme is the demo partner's client; Globex is not, so the partner admin sees one of two.
ASSIGNED_TENANT = "Acme"
CLIENT_TENANT = "Acme"
DEMO_USERS: tuple[tuple[str, str, Role], ...] = (
    ("platform.admin@demo.test", "Pat Platform", Role.PLATFORM_ADMIN),
    ("partner.admin@demo.test", "Parker Partner", Role.PARTNER_ADMIN),
    ("partner.user@demo.test", "Paige Partner", Role.PARTNER_USER),
    ("client.admin@demo.test", "Cleo Admin", Role.CLIENT_ADMIN),
    ("client.manager@demo.test", "Cody Manager", Role.CLIENT_MANAGER),
    ("client.staff@demo.test", "Casey Staff", Role.CLIENT_STAFF),
)


async def _ensure_tenants(
    session: AsyncSession, invalidator: Invalidator, lines: list[str]
) -> dict[str, Tenant]:
    tenants: dict[str, Tenant] = {}
    for name, package in DEMO_TENANTS:
        tenant = await access_service.find_tenant_by_name(session, name)
        if tenant is None:
            tenant = await entitlements_service.create_tenant(
                session, invalidator, utc_now, TenantCreate(name=name, package_id=package)
            )
            lines.append(f"created tenant {name} ({tenant.id}) on {package}")
        else:
            lines.append(f"tenant {name} ({tenant.id}) on {tenant.package_id} exists")
        tenants[name] = tenant
    return tenants


async def _ensure_user(
    session: AsyncSession,
    settings: Settings,
    email: str,
    name: str,
    role: Role,
    *,
    tenant_id: str | None,
    partner_id: str | None,
) -> str:
    user = await people_service.find_user_by_email(session, email)
    if user is None:
        await people_service.create_user(
            session,
            utc_now,
            UserCreate(
                email=email,
                name=name,
                password=settings.demo_password,
                role=role,
                tenant_id=tenant_id,
                partner_id=partner_id,
            ),
        )
        return "created"
    # The demo password may have changed since the last run: the demo users follow it.
    if not verify_password(user.password_hash, settings.demo_password):
        user.password_hash = hash_password(settings.demo_password)
    user.disabled_at = None
    await session.flush()
    return "exists"


async def load_demo(settings: Settings, *, portal_url: str = "http://127.0.0.1:8000") -> list[str]:
    """Create what is missing and return what a person needs to try the portal."""
    db = Database(settings.database_url)
    lines: list[str] = []
    users: list[str] = []
    try:
        await prepare_database(db, settings, utc_now)
        invalidator = Invalidator(db)
        async with db.session(write=True) as session:
            tenants = await _ensure_tenants(session, invalidator, lines)
            partner = await people_service.find_partner_by_name(session, DEMO_PARTNER)
            if partner is None:
                partner = await people_service.create_partner(session, utc_now, DEMO_PARTNER)
                lines.append(f"created partner {DEMO_PARTNER}")
            await people_service.assign_client(
                session, utc_now, partner.id, tenants[ASSIGNED_TENANT].id
            )
            unassigned = ", ".join(n for n, _ in DEMO_TENANTS if n != ASSIGNED_TENANT)
            lines.append(
                f"partner {DEMO_PARTNER}: assigned {ASSIGNED_TENANT}; not assigned {unassigned}"
            )
            for email, person, role in DEMO_USERS:
                client = role.value.startswith("client_")
                partnered = role.value.startswith("partner_")
                made = await _ensure_user(
                    session,
                    settings,
                    email,
                    person,
                    role,
                    tenant_id=tenants[CLIENT_TENANT].id if client else None,
                    partner_id=partner.id if partnered else None,
                )
                scope = CLIENT_TENANT if client else DEMO_PARTNER if partnered else "all tenants"
                users.append(
                    f"  {ROLE_LABELS[role]:<15} {email:<27} password: {settings.demo_password}"
                    f"  ({scope})"
                )
                if made == "created":
                    lines.append(f"created user {email}")
    finally:
        await db.dispose()
    return [*lines, "", f"Sign in at {portal_url}/login with:", *users]
