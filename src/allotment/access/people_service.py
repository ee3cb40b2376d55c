"""Partners, their client assignments, and the people who sign in to the portal."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import people_repository as repository
from allotment.access import repository as tenant_repository
from allotment.access.models import Partner, PartnerAssignment, User
from allotment.access.passwords import hash_password, verify_password
from allotment.access.people_rules import scope_errors
from allotment.access.people_schemas import UserCreate, UserUpdate
from allotment.access.policy import Role
from allotment.access.principals import Principal
from allotment.errors import Conflict, NotFound, ValidationFailed
from allotment.kit.clock import Clock
from allotment.kit.ids import new_id

PARTNER_NOT_FOUND = "Partner not found."
USER_NOT_FOUND = "User not found."


async def create_partner(session: AsyncSession, clock: Clock, name: str) -> Partner:
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "A partner needs a name.")
    if await repository.find_partner_by_name(session, name) is not None:
        raise Conflict(f"A partner named '{name}' already exists.", {"name": name})
    partner = Partner(id=new_id("ptn"), name=name, created_at=clock())
    session.add(partner)
    await session.flush()
    return partner


async def get_partner(session: AsyncSession, partner_id: str) -> Partner:
    partner = await repository.get_partner(session, partner_id)
    if partner is None:
        raise NotFound(PARTNER_NOT_FOUND)
    return partner


async def find_partner_by_name(session: AsyncSession, name: str) -> Partner | None:
    return await repository.find_partner_by_name(session, name)


async def list_partners(session: AsyncSession) -> Sequence[Partner]:
    return await repository.list_partners(session)


async def assigned_tenant_ids(session: AsyncSession, partner_id: str) -> frozenset[str]:
    return await repository.assigned_tenant_ids(session, partner_id)


async def assign_client(
    session: AsyncSession, clock: Clock, partner_id: str, tenant_id: str
) -> PartnerAssignment:
    """Give the partner's admins the tenant; assigning twice is harmless."""
    await get_partner(session, partner_id)
    if await tenant_repository.get_tenant(session, tenant_id) is None:
        raise ValidationFailed.field("tenantId", f"Unknown tenant '{tenant_id}'.")
    existing = await repository.get_assignment(session, partner_id, tenant_id)
    if existing is not None:
        return existing
    row = PartnerAssignment(partner_id=partner_id, tenant_id=tenant_id, created_at=clock())
    session.add(row)
    await session.flush()
    return row


async def unassign_client(session: AsyncSession, partner_id: str, tenant_id: str) -> None:
    await get_partner(session, partner_id)
    if await repository.delete_assignment(session, partner_id, tenant_id) == 0:
        raise NotFound("That client is not assigned to this partner.")


async def create_user(session: AsyncSession, clock: Clock, data: UserCreate) -> User:
    errors = scope_errors(data.role, data.tenant_id, data.partner_id)
    if data.tenant_id is not None and (
        await tenant_repository.get_tenant(session, data.tenant_id) is None
    ):
        errors.append({"field": "tenantId", "message": f"Unknown tenant '{data.tenant_id}'."})
    if data.partner_id is not None and (
        await repository.get_partner(session, data.partner_id) is None
    ):
        errors.append({"field": "partnerId", "message": f"Unknown partner '{data.partner_id}'."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors)
    if await repository.find_user_by_email(session, data.email) is not None:
        raise Conflict(f"A user with e-mail '{data.email}' already exists.", {"email": data.email})
    user = User(
        id=new_id("usr"),
        email=data.email,
        name=data.name.strip() or data.email,
        password_hash=hash_password(data.password),
        role=data.role.value,
        tenant_id=data.tenant_id,
        partner_id=data.partner_id,
        created_at=clock(),
        disabled_at=None,
    )
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: str) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await repository.find_user_by_email(session, email)


async def list_users(
    session: AsyncSession, *, tenant_id: str | None = None, partner_id: str | None = None
) -> Sequence[User]:
    return await repository.list_users(session, tenant_id=tenant_id, partner_id=partner_id)


async def update_user(session: AsyncSession, clock: Clock, user_id: str, data: UserUpdate) -> User:
    user = await get_user(session, user_id)
    if data.name is not None:
        user.name = data.name.strip() or user.email
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.disabled is not None:
        user.disabled_at = (user.disabled_at or clock()) if data.disabled else None
    await session.flush()
    return user


async def delete_user(session: AsyncSession, user_id: str) -> User:
    user = await get_user(session, user_id)
    await session.delete(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    """The user with this e-mail and password, if enabled. Misses cost the same as hits."""
    user = await repository.find_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled_at is not None:
        return None
    return user


async def principal_for_user(session: AsyncSession, user: User) -> Principal:
    """Assignments are read on every call, so a change applies at the user's next request."""
    role = Role(user.role)
    assigned: frozenset[str] | None = None
    if role is Role.PARTNER_ADMIN and user.partner_id is not None:
        assigned = await repository.assigned_tenant_ids(session, user.partner_id)
    return Principal(
        role=role,
        tenant_id=user.tenant_id,
        assigned_tenant_ids=assigned,
        user_id=user.id,
        partner_id=user.partner_id,
        display_name=user.email,
    )
