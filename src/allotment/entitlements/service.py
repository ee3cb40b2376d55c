from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import audit_service
from allotment.access import service as access_service
from allotment.access.models import Tenant
from allotment.access.principals import Principal
from allotment.catalog import service as catalog_service
from allotment.db.invalidation import Invalidator
from allotment.entitlements import repository
from allotment.entitlements.cache import EntitlementCache, TenantView, tenant_topic
from allotment.entitlements.models import TenantOverride
from allotment.entitlements.resolution import Effective, OverrideDef, resolve_all, resolve_feature
from allotment.entitlements.rules import check_parent_child
from allotment.entitlements.schemas import EntitlementChange, TenantCreate, TenantUpdate
from allotment.errors import NotFound, PreconditionRequired, ValidationFailed, VersionConflict
from allotment.kit.clock import Clock


@dataclass(frozen=True, slots=True)
class Change:
    """One feature's state before and after a save: what the audit log records."""

    feature_id: str
    before: Effective
    after: Effective


@dataclass(frozen=True, slots=True)
class SaveResult:
    version: int
    effective: dict[str, Effective]
    changes: list[Change]


async def create_tenant(
    session: AsyncSession, invalidator: Invalidator, clock: Clock, data: TenantCreate
) -> Tenant:
    try:
        package = await catalog_service.get_package(session, data.package_id)
    except NotFound:
        raise ValidationFailed.field("packageId", f"Unknown package '{data.package_id}'.") from None
    tenant = await access_service.create_tenant(
        session, clock, name=data.name, package_id=package.id, time_zone=data.time_zone
    )
    await invalidator.publish(session, tenant_topic(tenant.id))
    return tenant


async def update_tenant(
    session: AsyncSession,
    invalidator: Invalidator,
    principal: Principal,
    tenant_id: str,
    data: TenantUpdate,
    *,
    clock: Clock,
) -> Tenant:
    tenant = await access_service.get_tenant(session, principal, tenant_id, for_update=True)
    if data.name is not None:
        tenant.name = data.name
    if data.time_zone is not None:
        tenant.time_zone = data.time_zone
    if data.package_id is not None and data.package_id != tenant.package_id:
        try:
            await catalog_service.get_package(session, data.package_id)
        except NotFound:
            raise ValidationFailed.field(
                "packageId", f"Unknown package '{data.package_id}'."
            ) from None
        await audit_service.record(
            session,
            clock,
            principal,
            action=audit_service.TENANT_PLAN_CHANGED,
            subject="packageId",
            before={"packageId": tenant.package_id},
            after={"packageId": data.package_id},
            tenant_id=tenant.id,
        )
        tenant.package_id = data.package_id
        tenant.entitlements_version += 1
    await session.flush()
    await invalidator.publish(session, tenant_topic(tenant.id))
    return tenant


async def get_overrides(
    session: AsyncSession, principal: Principal, tenant_id: str
) -> tuple[Tenant, Sequence[TenantOverride]]:
    tenant = await access_service.get_tenant(session, principal, tenant_id)
    return tenant, await repository.list_overrides(session, tenant_id)


async def effective_for(
    cache: EntitlementCache, principal: Principal, tenant_id: str
) -> TenantView:
    """Scoped read through the cache: a tenant the caller may not see is simply not found."""
    if not principal.may_see_tenant(tenant_id):
        raise NotFound(access_service.TENANT_NOT_FOUND)
    view = await cache.tenant(tenant_id)
    if view is None:
        raise NotFound(access_service.TENANT_NOT_FOUND)
    return view


async def save_entitlements(
    session: AsyncSession,
    invalidator: Invalidator,
    clock: Clock,
    principal: Principal,
    tenant_id: str,
    changes: list[EntitlementChange],
    expected_version: int | None,
    *,
    require_version: bool = False,
) -> SaveResult:
    """Set the tenant's entitlements to the given states, stored as overrides of its plan.

    A state equal to the plan's removes the override. The whole save is rejected (422) when it
    breaks a parent/child rule, and (409) when the tenant's version moved since ``expected``.
    """
    if require_version and expected_version is None:
        raise PreconditionRequired(
            "Send the version you edited (If-Match header or version field).", None
        )
    tenant = await access_service.get_tenant(session, principal, tenant_id)
    snapshot = await catalog_service.load_snapshot(session)
    errors = [
        {"field": f"entitlements.{i}.featureId", "message": f"Unknown feature '{c.feature_id}'."}
        for i, c in enumerate(changes)
        if c.feature_id not in snapshot.features
    ]
    if errors:
        raise ValidationFailed("Some features do not exist.", errors)

    current = {
        r.feature_id: OverrideDef(r.enabled, r.value)
        for r in await repository.list_overrides(session, tenant_id)
    }
    cells = {fid: c for (pkg, fid), c in snapshot.cells.items() if pkg == tenant.package_id}
    before = resolve_all(snapshot.features, cells, current)

    proposed = dict(current)
    for change in changes:
        feature = snapshot.features[change.feature_id]
        wanted = OverrideDef(change.enabled, change.value)
        plan_state = resolve_feature(feature, cells.get(change.feature_id), None)
        if plan_state.enabled == change.enabled and change.value in (None, plan_state.value):
            proposed.pop(change.feature_id, None)
        else:
            proposed[change.feature_id] = wanted
    after = resolve_all(snapshot.features, cells, proposed)

    violations = check_parent_child(
        snapshot.features,
        {fid: _stated_on(fid, changes, after) for fid in snapshot.features},
    )
    if violations:
        raise ValidationFailed(
            violations[0].message, [{"field": v.field, "message": v.message} for v in violations]
        )

    new_version = await access_service.bump_entitlements_version(
        session, tenant_id, expected_version
    )
    if new_version is None:
        fresh = await access_service.load_tenant(session, tenant_id)
        raise VersionConflict(fresh.entitlements_version if fresh else 0)

    now = clock()
    who = principal.display_name or principal.user_id or principal.key_id
    for fid in set(current) | set(proposed):
        if fid in proposed and proposed[fid] != current.get(fid):
            await session.merge(
                TenantOverride(
                    tenant_id=tenant_id,
                    feature_id=fid,
                    enabled=proposed[fid].enabled,
                    value=proposed[fid].value,
                    updated_at=now,
                    updated_by=who,
                )
            )
        elif fid not in proposed:
            await repository.delete_override(session, tenant_id, fid)
    await session.flush()
    await invalidator.publish(session, tenant_topic(tenant_id))
    diff = [Change(fid, before[fid], after[fid]) for fid in after if before[fid] != after[fid]]
    for changed in diff:
        await audit_service.record(
            session,
            clock,
            principal,
            action=audit_service.ENTITLEMENT_CHANGED,
            subject=changed.feature_id,
            before=_audited_state(changed.before),
            after=_audited_state(changed.after),
            tenant_id=tenant_id,
        )
    return SaveResult(new_version, after, diff)


def _audited_state(state: Effective) -> dict[str, object]:
    return {"enabled": state.enabled, "value": state.value, "source": state.source.value}


def _stated_on(
    feature_id: str, changes: list[EntitlementChange], after: dict[str, Effective]
) -> bool:
    # The rules judge what the caller asked for, not the resolution's parent cascade, so that
    # "export off, CSV on" is reported instead of silently switching CSV off.
    for change in changes:
        if change.feature_id == feature_id:
            return change.enabled and change.value != 0
    return after[feature_id].enabled
