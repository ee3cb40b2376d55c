"""FastAPI dependencies: who is calling, and may they."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from allotment.access.policy import Permission
from allotment.access.principals import Principal
from allotment.access.service import TENANT_NOT_FOUND, KeyRegistry
from allotment.errors import Forbidden, NotFound, Unauthorized

# Portal sessions plug in here (a later layer): given the request, return a principal or None.
PrincipalResolver = Callable[[Request], Awaitable[Principal | None]]


def bearer_secret(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def bearer_from_scope(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The bearer secret from raw ASGI headers (for the framework-free fast paths)."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


async def current_principal(request: Request) -> Principal:
    secret = bearer_secret(request)
    if secret is not None:
        registry: KeyRegistry = request.app.state.keys
        principal = await registry.authenticate(secret)
        if principal is None:
            raise Unauthorized()
        return principal
    resolvers: list[PrincipalResolver] = request.app.state.principal_resolvers
    for resolver in resolvers:
        principal = await resolver(request)
        if principal is not None:
            return principal
    raise Unauthorized()


def demand(principal: Principal, tenant_id: str, permission: Permission) -> None:
    """Scope first (404, the same body as a missing tenant), then the right (403)."""
    if not principal.may_see_tenant(tenant_id):
        raise NotFound(TENANT_NOT_FOUND)
    if not principal.can(permission):
        raise Forbidden()


def require(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.can(permission):
            raise Forbidden()
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency
