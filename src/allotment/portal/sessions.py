"""Who is signed in to the portal, read from the session cookie once per request.

The cookie carries only an opaque token. Everything else (the user, the role, the active tenant,
the CSRF token) stays on the server.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access import people_service, session_service
from allotment.access import service as access_service
from allotment.access.models import Tenant
from allotment.access.principals import Principal
from allotment.access.session_service import SessionLimits
from allotment.db.session import Database
from allotment.errors import Forbidden
from allotment.kit.clock import Clock
from allotment.settings import Settings

SESSION_COOKIE = "allotment_session"
LOGIN_CSRF_COOKIE = "allotment_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_REJECTED = (
    "The form has expired or did not come from this portal. Refresh the page and try again."
)


@dataclass(frozen=True, slots=True)
class TenantRef:
    id: str
    name: str
    package_id: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    csrf_token: str
    user_id: str
    email: str
    name: str
    principal: Principal
    active_tenant: TenantRef | None
    # How many tenants this person may act on: the context switcher shows only when > 1.
    tenant_count: int


def limits(settings: Settings) -> SessionLimits:
    return SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


def tenant_ref(tenant: Tenant) -> TenantRef:
    return TenantRef(tenant.id, tenant.name, tenant.package_id)


async def tenants_for(session: AsyncSession, principal: Principal) -> list[Tenant]:
    return list(await access_service.list_tenants(session, principal))


async def signed_in(request: Request) -> SignedIn | None:
    """The request's live session, or None. Resolved once and kept on ``request.state``.

    Endpoints take it as a dependency declared before their database session (``Signed``), so
    that on SQLite its own short transactions finish before the endpoint's write lock is taken.
    """
    if getattr(request.state, "portal_session_known", False):
        result: SignedIn | None = request.state.portal_session
        return result
    token = request.cookies.get(SESSION_COOKIE)
    found = await _resolve(request, token) if token else None
    request.state.portal_session = found
    request.state.portal_session_known = True
    return found


def forget(request: Request) -> None:
    """Drop the per-request cache after the session row changed (sign-in, context switch)."""
    request.state.portal_session_known = False


async def _resolve(request: Request, token: str) -> SignedIn | None:
    db: Database = request.app.state.db
    clock: Clock = request.app.state.clock
    settings: Settings = request.app.state.settings
    now = clock()
    # Read first; write only when something changed, so that most pages take no write lock.
    async with db.session() as session:
        loaded = await session_service.load_session(session, token)
        if loaded is None:
            return None
        row, user = loaded
        if not session_service.is_live(row, user, now, limits(settings)):
            expired = True
        else:
            expired = False
            principal = await people_service.principal_for_user(session, user)
            tenants = await tenants_for(session, principal)
    if expired:
        async with db.session(write=True) as session:
            await session_service.end_session(session, token)
        return None
    by_id = {t.id: t for t in tenants}
    active = by_id.get(row.active_tenant_id) if row.active_tenant_id else None
    if active is None and len(tenants) == 1:
        # Exactly one tenant to act on: the session is in it without asking.
        active = tenants[0]
    active_id = active.id if active else None
    if active_id != row.active_tenant_id or session_service.needs_touch(row, now):
        async with db.session(write=True) as session:
            await session_service.touch(session, token, now, active_id)
    return SignedIn(
        token=token,
        csrf_token=row.csrf_token,
        user_id=user.id,
        email=user.email,
        name=user.name,
        principal=principal,
        active_tenant=tenant_ref(active) if active else None,
        tenant_count=len(tenants),
    )


Signed = Annotated[SignedIn | None, Depends(signed_in)]


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def require_csrf(signed: SignedIn, given: str | None) -> None:
    if not csrf_matches(signed.csrf_token, given):
        raise Forbidden(CSRF_REJECTED)


async def session_principal(request: Request) -> Principal | None:
    """Plugged into ``app.state.principal_resolvers``: API calls made from a portal page.

    A state-changing call must carry the session's CSRF token in the ``X-CSRF-Token`` header.
    """
    signed = await signed_in(request)
    if signed is None:
        return None
    if request.method not in SAFE_METHODS:
        require_csrf(signed, request.headers.get(CSRF_HEADER))
    return signed.principal


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
