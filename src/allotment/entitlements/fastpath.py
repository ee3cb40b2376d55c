"""The check route without the framework: a pure ASGI layer answering warm checks.

``GET /api/v1/tenants/{tenantId}/entitlements/{featureId}`` is the hottest request the service
takes. When the caller's key and the tenant's entitlements are both already cached, this layer
answers from memory with a pre-encoded body. Anything else (cold cache, unknown key, not allowed,
unknown feature) falls through to the regular FastAPI route, which gives the full answer and
warms the caches; so both paths always agree.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from allotment.access.dependencies import bearer_from_scope
from allotment.access.policy import Permission
from allotment.access.service import KeyRegistry
from allotment.entitlements.cache import EntitlementCache

_PREFIX = "/api/v1/tenants/"
_HEADERS = [(b"content-type", b"application/json")]


class CheckFastPath:
    def __init__(self, app: ASGIApp, *, keys: KeyRegistry, cache: EntitlementCache) -> None:
        self.app = app
        self.keys = keys
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(_PREFIX):
                body = self._answer(scope, path)
                if body is not None:
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 200,
                            "headers": [
                                *_HEADERS,
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope, path: str) -> bytes | None:
        parts = path[len(_PREFIX) :].split("/")
        if len(parts) != 3 or parts[1] != "entitlements":
            return None
        tenant_id, _, feature_id = parts
        secret = bearer_from_scope(scope["headers"])
        if not secret:
            return None
        principal = self.keys.peek(secret)
        if (
            principal is None
            or not principal.may_see_tenant(tenant_id)
            or not principal.can(Permission.ENTITLEMENTS_CHECK)
        ):
            return None
        view = self.cache.peek(tenant_id)
        return None if view is None else view.body(feature_id)
