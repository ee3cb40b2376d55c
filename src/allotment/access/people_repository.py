from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access.models import Partner, PartnerAssignment, User


async def get_partner(session: AsyncSession, partner_id: str) -> Partner | None:
    return await session.get(Partner, partner_id)


async def find_partner_by_name(session: AsyncSession, name: str) -> Partner | None:
    stmt = select(Partner).where(Partner.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_partners(session: AsyncSession) -> Sequence[Partner]:
    return (await session.execute(select(Partner).order_by(Partner.name))).scalars().all()


async def assigned_tenant_ids(session: AsyncSession, partner_id: str) -> frozenset[str]:
    stmt = select(PartnerAssignment.tenant_id).where(PartnerAssignment.partner_id == partner_id)
    return frozenset((await session.execute(stmt)).scalars())


async def get_assignment(
    session: AsyncSession, partner_id: str, tenant_id: str
) -> PartnerAssignment | None:
    return await session.get(PartnerAssignment, (partner_id, tenant_id))


async def delete_assignment(session: AsyncSession, partner_id: str, tenant_id: str) -> int:
    result = await session.execute(
        delete(PartnerAssignment).where(
            PartnerAssignment.partner_id == partner_id, PartnerAssignment.tenant_id == tenant_id
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(User.email == email.strip().lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_users(
    session: AsyncSession, *, tenant_id: str | None = None, partner_id: str | None = None
) -> Sequence[User]:
    stmt = select(User).order_by(User.email)
    if tenant_id is not None:
        stmt = stmt.where(User.tenant_id == tenant_id)
    if partner_id is not None:
        stmt = stmt.where(User.partner_id == partner_id)
    return (await session.execute(stmt)).scalars().all()
