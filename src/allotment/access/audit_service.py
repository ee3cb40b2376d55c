"""The audit log: who changed which entitlement, plan cell or feature, when, from what to what.

Entries are written by the service making the change, in the same transaction, so a change and
its record commit (or roll back) together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access.models import AuditEntry
from allotment.access.principals import Principal
from allotment.kit.clock import Clock
from allotment.kit.ids import new_id

ENTITLEMENT_CHANGED = "entitlement.changed"
TENANT_PLAN_CHANGED = "tenant.plan_changed"
PLAN_CELL_CHANGED = "plan_cell.changed"
FEATURE_CREATED = "feature.created"

MAX_PAGE = 500


def actor_name(principal: Principal) -> str:
    return principal.display_name or principal.user_id or principal.key_id or principal.role.value


def _encode(state: Any) -> str | None:
    return None if state is None else orjson.dumps(state, option=orjson.OPT_SORT_KEYS).decode()


def decode_state(raw: str | None) -> Any:
    return None if raw is None else orjson.loads(raw)


async def record(
    session: AsyncSession,
    clock: Clock,
    actor: Principal,
    *,
    action: str,
    subject: str,
    before: Any,
    after: Any,
    tenant_id: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        id=new_id("aud"),
        tenant_id=tenant_id,
        action=action,
        subject=subject,
        before=_encode(before),
        after=_encode(after),
        actor=actor_name(actor),
        actor_user_id=actor.user_id,
        actor_key_id=actor.key_id,
        at=clock(),
    )
    session.add(entry)
    await session.flush()
    return entry


async def list_for_tenant(
    session: AsyncSession, tenant_id: str, *, limit: int = 100
) -> Sequence[AuditEntry]:
    """Newest first. The caller has already established that the tenant is in scope."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    return (await session.execute(stmt)).scalars().all()


async def list_catalog_changes(session: AsyncSession, *, limit: int = 100) -> Sequence[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.tenant_id.is_(None))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    return (await session.execute(stmt)).scalars().all()
