from __future__ import annotations

from allotment.access import service as access_service
from allotment.db.session import Database
from allotment.kit.clock import utc_now
from allotment.settings import Settings


async def create_key(settings: Settings, *, name: str, tenant: str | None) -> str:
    db = Database(settings.database_url)
    try:
        async with db.session(write=True) as session:
            tenant_id = None
            if tenant is not None:
                row = await access_service.load_tenant(session, tenant)
                row = row or await access_service.find_tenant_by_name(session, tenant)
                if row is None:
                    raise SystemExit(f"no tenant with id or name {tenant!r}")
                tenant_id = row.id
            key, secret = await access_service.create_key(
                session, utc_now, name=name, tenant_id=tenant_id
            )
    finally:
        await db.dispose()
    scope = f"tenant {tenant_id}" if tenant_id else "platform admin"
    return f"{secret}\n(id {key.id}, {scope}; shown once, store it now)"
