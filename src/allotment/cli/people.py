"""``allotment user ...`` and ``allotment partner ...``: manage people from a shell."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import people_service
from allotment.access import service as access_service
from allotment.access.people_schemas import UserCreate, UserUpdate
from allotment.access.policy import Role
from allotment.db.session import Database
from allotment.errors import AppError
from allotment.kit.clock import utc_now
from allotment.settings import Settings

T = TypeVar("T")


async def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    db = Database(settings.database_url)
    try:
        async with db.session(write=True) as session:
            return await work(session)
    except AppError as exc:
        raise SystemExit(f"error: {exc.message}") from None
    finally:
        await db.dispose()


async def _tenant_id(session: AsyncSession, ref: str | None) -> str | None:
    if ref is None:
        return None
    row = await access_service.load_tenant(session, ref)
    row = row or await access_service.find_tenant_by_name(session, ref)
    if row is None:
        raise SystemExit(f"no tenant with id or name {ref!r}")
    return row.id


async def _partner_id(session: AsyncSession, ref: str | None) -> str | None:
    if ref is None:
        return None
    row = await people_service.find_partner_by_name(session, ref)
    if row is None:
        row = await people_service.get_partner(session, ref)
    return row.id


async def create_user(
    settings: Settings,
    *,
    email: str,
    password: str,
    role: str,
    name: str,
    tenant: str | None,
    partner: str | None,
) -> str:
    async def work(session: AsyncSession) -> str:
        data = UserCreate(
            email=email,
            name=name,
            password=password,
            role=Role(role),
            tenant_id=await _tenant_id(session, tenant),
            partner_id=await _partner_id(session, partner),
        )
        user = await people_service.create_user(session, utc_now, data)
        return f"created user {user.email} ({user.id}), {user.role}"

    return await _in_session(settings, work)


async def set_password(settings: Settings, *, email: str, password: str) -> str:
    async def work(session: AsyncSession) -> str:
        user = await people_service.find_user_by_email(session, email)
        if user is None:
            raise SystemExit(f"no user with e-mail {email!r}")
        await people_service.update_user(session, utc_now, user.id, UserUpdate(password=password))
        return f"password changed for {user.email}"

    return await _in_session(settings, work)


async def list_users(settings: Settings) -> list[str]:
    async def work(session: AsyncSession) -> list[str]:
        rows = await people_service.list_users(session)
        return [
            "\t".join(
                [u.email, u.role, u.tenant_id or u.partner_id or "-"]
                + (["disabled"] if u.disabled_at else [])
            )
            for u in rows
        ]

    return await _in_session(settings, work)


async def create_partner(settings: Settings, *, name: str) -> str:
    async def work(session: AsyncSession) -> str:
        partner = await people_service.create_partner(session, utc_now, name)
        return f"created partner {partner.name} ({partner.id})"

    return await _in_session(settings, work)


async def assign(settings: Settings, *, partner: str, tenant: str, remove: bool) -> str:
    async def work(session: AsyncSession) -> str:
        partner_id = await _partner_id(session, partner)
        tenant_id = await _tenant_id(session, tenant)
        assert partner_id is not None and tenant_id is not None
        if remove:
            await people_service.unassign_client(session, partner_id, tenant_id)
            return f"{tenant} is no longer assigned to {partner}"
        await people_service.assign_client(session, utc_now, partner_id, tenant_id)
        return f"{tenant} is assigned to {partner}"

    return await _in_session(settings, work)


async def list_partners(settings: Settings) -> list[str]:
    async def work(session: AsyncSession) -> list[str]:
        lines = []
        for p in await people_service.list_partners(session):
            ids = sorted(await people_service.assigned_tenant_ids(session, p.id))
            lines.append(f"{p.name}\t{p.id}\t{', '.join(ids) or 'no clients'}")
        return lines

    return await _in_session(settings, work)
