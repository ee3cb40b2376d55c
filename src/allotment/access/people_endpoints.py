"""Partners, client assignments and users: platform admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import people_service as service
from allotment.access.dependencies import require
from allotment.access.models import Partner, User
from allotment.access.people_schemas import (
    AssignmentCreate,
    PartnerCreate,
    PartnerOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.db.dependencies import ClockDep, ReadSession, WriteSession

router = APIRouter(prefix="/api/v1", tags=["people"])

ManagesPartners = Annotated[Principal, Depends(require(Permission.PARTNERS_MANAGE))]
ManagesUsers = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]


async def partner_out(session: AsyncSession, row: Partner) -> PartnerOut:
    ids = await service.assigned_tenant_ids(session, row.id)
    return PartnerOut(id=row.id, name=row.name, created_at=row.created_at, tenant_ids=sorted(ids))


def user_out(row: User) -> UserOut:
    return UserOut.model_validate(row, from_attributes=True)


@router.post("/partners", status_code=201, response_model=PartnerOut)
async def create_partner(
    body: PartnerCreate, _: ManagesPartners, session: WriteSession, clock: ClockDep
) -> PartnerOut:
    return await partner_out(session, await service.create_partner(session, clock, body.name))


@router.get("/partners", response_model=list[PartnerOut])
async def list_partners(_: ManagesPartners, session: ReadSession) -> list[PartnerOut]:
    return [await partner_out(session, p) for p in await service.list_partners(session)]


@router.get("/partners/{partnerId}", response_model=PartnerOut)
async def get_partner(partnerId: str, _: ManagesPartners, session: ReadSession) -> PartnerOut:
    return await partner_out(session, await service.get_partner(session, partnerId))


@router.post("/partners/{partnerId}/assignments", status_code=201, response_model=PartnerOut)
async def assign_client(
    partnerId: str,
    body: AssignmentCreate,
    _: ManagesPartners,
    session: WriteSession,
    clock: ClockDep,
) -> PartnerOut:
    await service.assign_client(session, clock, partnerId, body.tenant_id)
    return await partner_out(session, await service.get_partner(session, partnerId))


@router.delete("/partners/{partnerId}/assignments/{tenantId}", status_code=204)
async def unassign_client(
    partnerId: str, tenantId: str, _: ManagesPartners, session: WriteSession
) -> Response:
    await service.unassign_client(session, partnerId, tenantId)
    return Response(status_code=204)


@router.post("/users", status_code=201, response_model=UserOut)
async def create_user(
    body: UserCreate, _: ManagesUsers, session: WriteSession, clock: ClockDep
) -> UserOut:
    return user_out(await service.create_user(session, clock, body))


@router.get("/users", response_model=list[UserOut])
async def list_users(
    _: ManagesUsers,
    session: ReadSession,
    tenant_id: Annotated[str | None, Query(alias="tenantId")] = None,
    partner_id: Annotated[str | None, Query(alias="partnerId")] = None,
) -> list[UserOut]:
    rows = await service.list_users(session, tenant_id=tenant_id, partner_id=partner_id)
    return [user_out(u) for u in rows]


@router.get("/users/{userId}", response_model=UserOut)
async def get_user(userId: str, _: ManagesUsers, session: ReadSession) -> UserOut:
    return user_out(await service.get_user(session, userId))


@router.patch("/users/{userId}", response_model=UserOut)
async def update_user(
    userId: str, body: UserUpdate, _: ManagesUsers, session: WriteSession, clock: ClockDep
) -> UserOut:
    return user_out(await service.update_user(session, clock, userId, body))


@router.delete("/users/{userId}", status_code=204)
async def delete_user(userId: str, _: ManagesUsers, session: WriteSession) -> Response:
    await service.delete_user(session, userId)
    return Response(status_code=204)
