"""``allotment demo``: a small, idempotent demo world."""

from __future__ import annotations

from allotment.access import service as access_service
from allotment.app import prepare_database
from allotment.db.invalidation import Invalidator
from allotment.db.session import Database
from allotment.entitlements import service as entitlements_service
from allotment.entitlements.schemas import TenantCreate
from allotment.kit.clock import utc_now
from allotment.settings import Settings

DEMO_TENANTS = (("Acme", "professional"), ("Globex", "starter"))


async def load_demo(settings: Settings) -> list[str]:
    """Create what is missing and return one line per thing, made or found."""
    db = Database(settings.database_url)
    lines: list[str] = []
    try:
        await prepare_database(db, settings, utc_now)
        invalidator = Invalidator(db)
        async with db.session(write=True) as session:
            for name, package in DEMO_TENANTS:
                tenant = await access_service.find_tenant_by_name(session, name)
                if tenant is None:
                    tenant = await entitlements_service.create_tenant(
                        session, invalidator, utc_now, TenantCreate(name=name, package_id=package)
                    )
                    lines.append(f"created tenant {name} ({tenant.id}) on {package}")
                else:
                    lines.append(f"tenant {name} ({tenant.id}) on {tenant.package_id} exists")
    finally:
        await db.dispose()
    return lines
