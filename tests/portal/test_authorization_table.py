"""Every role x every tenant-scoped portal page and portal/API route x (own tenant, assigned
client, unassigned client, a tenant id that does not exist) → the status it must get.

Out-of-scope answers must be byte-identical to the answer for a tenant that does not exist, and
must never name the tenant that was asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.portal.world import MISSING_TENANT, ROLES, World, browser_for, page_csrf, sign_in

SCOPES = ("own", "assigned", "unassigned", "missing")

CONTEXT = "POST /context"
PAGE = "GET /settings/entitlements"
PORTAL_SAVE = "PUT /api/portal/tenants/{t}/entitlements"
TENANT = "GET /api/v1/tenants/{t}"
TENANT_PATCH = "PATCH /api/v1/tenants/{t}"
LIST = "GET /api/v1/tenants/{t}/entitlements"
CHECK = "GET /api/v1/tenants/{t}/entitlements/user_seats"
API_SAVE = "PUT /api/v1/tenants/{t}/entitlements"
OVERRIDES = "GET /api/v1/tenants/{t}/overrides"
AUDIT = "GET /api/v1/tenants/{t}/audit-log"
KEYS = "GET /api/v1/tenants/{t}/api-keys"
OFREP = "POST /ofrep/v1/evaluate/flags/user_seats (targetingKey t)"
CONSUME = "POST /api/v1/tenants/{t}/features/ai_posts_limit/consume"
ACTION = "POST /api/v1/tenants/{t}/actions/POSTS_LIMIT/check"
USAGE = "GET /api/v1/tenants/{t}/usage"
WEBHOOKS = "GET /api/v1/tenants/{t}/webhooks"

# (own, assigned, unassigned, missing). OFREP answers an unknown or unreadable targeting key with
# 400 INVALID_CONTEXT (its protocol's code), the same for both; a role without the right to
# check gets 403 whatever the tenant. "own" is the client users' tenant; for the platform
# admin and the partner roles it is simply another tenant.
# The page acts on the session's context: a failed switch leaves the session where it was
# (client users and the partner admin start in their only tenant; a platform admin who has not
# chosen is sent to choose, 303).
TABLE: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "platform_admin": {
        CONTEXT: (303, 303, 303, 404),
        PAGE: (200, 200, 200, 303),
        PORTAL_SAVE: (200, 200, 200, 404),
        TENANT: (200, 200, 200, 404),
        TENANT_PATCH: (200, 200, 200, 404),
        LIST: (200, 200, 200, 404),
        CHECK: (200, 200, 200, 404),
        API_SAVE: (200, 200, 200, 404),
        OVERRIDES: (200, 200, 200, 404),
        AUDIT: (200, 200, 200, 404),
        KEYS: (200, 200, 200, 404),
        OFREP: (200, 200, 200, 400),
        CONSUME: (200, 200, 200, 404),
        ACTION: (200, 200, 200, 404),
        USAGE: (200, 200, 200, 404),
        WEBHOOKS: (200, 200, 200, 404),
    },
    "partner_admin": {
        CONTEXT: (404, 303, 404, 404),
        PAGE: (200, 200, 200, 200),
        PORTAL_SAVE: (404, 200, 404, 404),
        TENANT: (404, 200, 404, 404),
        TENANT_PATCH: (404, 403, 404, 404),
        LIST: (404, 200, 404, 404),
        CHECK: (404, 200, 404, 404),
        API_SAVE: (404, 200, 404, 404),
        OVERRIDES: (404, 200, 404, 404),
        AUDIT: (404, 200, 404, 404),
        KEYS: (404, 403, 404, 404),
        OFREP: (400, 200, 400, 400),
        CONSUME: (404, 403, 404, 404),
        ACTION: (404, 200, 404, 404),
        USAGE: (404, 200, 404, 404),
        WEBHOOKS: (404, 403, 404, 404),
    },
    "partner_user": {
        CONTEXT: (404, 404, 404, 404),
        PAGE: (404, 404, 404, 404),
        PORTAL_SAVE: (404, 404, 404, 404),
        TENANT: (404, 404, 404, 404),
        TENANT_PATCH: (404, 404, 404, 404),
        LIST: (404, 404, 404, 404),
        CHECK: (404, 404, 404, 404),
        API_SAVE: (404, 404, 404, 404),
        OVERRIDES: (404, 404, 404, 404),
        AUDIT: (404, 404, 404, 404),
        KEYS: (404, 404, 404, 404),
        OFREP: (403, 403, 403, 403),
        CONSUME: (404, 404, 404, 404),
        ACTION: (404, 404, 404, 404),
        USAGE: (404, 404, 404, 404),
        WEBHOOKS: (404, 404, 404, 404),
    },
    "client_admin": {
        CONTEXT: (303, 404, 404, 404),
        PAGE: (200, 200, 200, 200),
        PORTAL_SAVE: (404, 404, 404, 404),
        TENANT: (200, 404, 404, 404),
        TENANT_PATCH: (403, 404, 404, 404),
        LIST: (200, 404, 404, 404),
        CHECK: (200, 404, 404, 404),
        API_SAVE: (403, 404, 404, 404),
        OVERRIDES: (200, 404, 404, 404),
        AUDIT: (200, 404, 404, 404),
        KEYS: (403, 404, 404, 404),
        OFREP: (200, 400, 400, 400),
        CONSUME: (403, 404, 404, 404),
        ACTION: (200, 404, 404, 404),
        USAGE: (200, 404, 404, 404),
        WEBHOOKS: (403, 404, 404, 404),
    },
    "client_manager": {
        CONTEXT: (303, 404, 404, 404),
        PAGE: (200, 200, 200, 200),
        PORTAL_SAVE: (404, 404, 404, 404),
        TENANT: (200, 404, 404, 404),
        TENANT_PATCH: (403, 404, 404, 404),
        LIST: (403, 404, 404, 404),
        CHECK: (403, 404, 404, 404),
        API_SAVE: (403, 404, 404, 404),
        OVERRIDES: (403, 404, 404, 404),
        AUDIT: (403, 404, 404, 404),
        KEYS: (403, 404, 404, 404),
        OFREP: (403, 403, 403, 403),
        CONSUME: (403, 404, 404, 404),
        ACTION: (403, 404, 404, 404),
        USAGE: (200, 404, 404, 404),
        WEBHOOKS: (403, 404, 404, 404),
    },
    "client_staff": {
        CONTEXT: (303, 404, 404, 404),
        PAGE: (404, 404, 404, 404),
        PORTAL_SAVE: (404, 404, 404, 404),
        TENANT: (200, 404, 404, 404),
        TENANT_PATCH: (403, 404, 404, 404),
        LIST: (403, 404, 404, 404),
        CHECK: (403, 404, 404, 404),
        API_SAVE: (403, 404, 404, 404),
        OVERRIDES: (403, 404, 404, 404),
        AUDIT: (403, 404, 404, 404),
        KEYS: (403, 404, 404, 404),
        OFREP: (403, 403, 403, 403),
        CONSUME: (403, 404, 404, 404),
        ACTION: (403, 404, 404, 404),
        USAGE: (403, 404, 404, 404),
        WEBHOOKS: (403, 404, 404, 404),
    },
}

TENANT_NAMES = {"own": "Own Co", "assigned": "Assigned Co", "unassigned": "Unassigned Co"}
IN_SCOPE = {
    "platform_admin": {"own", "assigned", "unassigned"},
    "partner_admin": {"assigned"},
    "partner_user": set(),
    "client_admin": {"own"},
    "client_manager": {"own"},
    "client_staff": {"own"},
}

Call = Callable[[httpx.AsyncClient, str, str], Awaitable[httpx.Response]]


def _calls(version_of: Callable[[str], Awaitable[int]]) -> dict[str, Call]:
    async def context(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await b.post("/context", data={"tenantId": t, "csrf": csrf})

    async def page(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await b.get("/settings/entitlements")

    async def put(b: httpx.AsyncClient, path: str, t: str, csrf: str) -> httpx.Response:
        headers = {"X-CSRF-Token": csrf, "If-Match": f'"{await version_of(t)}"'}
        return await b.put(path, json={"entitlements": []}, headers=headers)

    def get(path: str) -> Call:
        async def call(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
            return await b.get(path.format(t=t))

        return call

    async def portal_save(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await put(b, f"/api/portal/tenants/{t}/entitlements", t, csrf)

    async def api_save(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await put(b, f"/api/v1/tenants/{t}/entitlements", t, csrf)

    async def ofrep(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await b.post(
            "/ofrep/v1/evaluate/flags/user_seats",
            json={"context": {"targetingKey": t}},
            headers={"X-CSRF-Token": csrf},
        )

    async def consume(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await b.post(
            f"/api/v1/tenants/{t}/features/ai_posts_limit/consume",
            json={"amount": 1, "idempotencyKey": f"authz-{t}"},
            headers={"X-CSRF-Token": csrf},
        )

    async def action(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await b.post(
            f"/api/v1/tenants/{t}/actions/POSTS_LIMIT/check",
            json={},
            headers={"X-CSRF-Token": csrf},
        )

    async def patch(b: httpx.AsyncClient, t: str, csrf: str) -> httpx.Response:
        return await b.patch(
            f"/api/v1/tenants/{t}", json={"timeZone": "UTC"}, headers={"X-CSRF-Token": csrf}
        )

    return {
        CONTEXT: context,
        PAGE: page,
        PORTAL_SAVE: portal_save,
        TENANT: get("/api/v1/tenants/{t}"),
        TENANT_PATCH: patch,
        LIST: get("/api/v1/tenants/{t}/entitlements"),
        CHECK: get("/api/v1/tenants/{t}/entitlements/user_seats"),
        API_SAVE: api_save,
        OVERRIDES: get("/api/v1/tenants/{t}/overrides"),
        AUDIT: get("/api/v1/tenants/{t}/audit-log"),
        KEYS: get("/api/v1/tenants/{t}/api-keys"),
        OFREP: ofrep,
        CONSUME: consume,
        ACTION: action,
        USAGE: get("/api/v1/tenants/{t}/usage"),
        WEBHOOKS: get("/api/v1/tenants/{t}/webhooks"),
    }


def test_the_table_covers_every_role_and_route() -> None:
    assert set(TABLE) == set(ROLES)
    routes = set(TABLE["platform_admin"])
    assert all(set(rows) == routes for rows in TABLE.values())


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_authorization_table(
    app: FastAPI,
    world: World,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    role: str,
    scope: str,
) -> None:
    async def version_of(tenant_id: str) -> int:
        response = await client.get(f"/api/v1/tenants/{tenant_id}", headers=admin)
        return int(response.json()["entitlementsVersion"]) if response.status_code == 200 else 1

    calls = _calls(version_of)
    target = world.tenant(scope)
    out_of_scope = scope not in IN_SCOPE[role]
    async with browser_for(app) as browser:
        await sign_in(browser, world.email(role))
        csrf = await page_csrf(browser)
        unknown_page = (await browser.get("/no/such/page")).content
        for route, statuses in TABLE[role].items():
            expected = statuses[SCOPES.index(scope)]
            response = await calls[route](browser, target, csrf)
            where = f"{role} {route} on {scope}: {response.text[:300]}"
            assert response.status_code == expected, where
            if out_of_scope and scope != "missing":
                assert TENANT_NAMES[scope] not in response.text, where
            if expected == 404 or (route == OFREP and expected == 400):
                twin = await calls[route](browser, MISSING_TENANT, csrf)
                assert twin.status_code == expected
                assert response.content == twin.content, where
                if route in (CONTEXT, PAGE):
                    assert response.content == unknown_page, where
            if route == PAGE and expected == 200 and not out_of_scope:
                assert f'data-testid="page-tenant">{TENANT_NAMES[scope]}<' in response.text


UNSCOPED: dict[str, dict[str, int]] = {
    # route: status per role, in ROLES order
    "GET /": dict(zip(ROLES, (303, 303, 200, 303, 303, 200), strict=True)),
    "GET /context": dict(zip(ROLES, (200, 200, 200, 200, 200, 200), strict=True)),
    "GET /api/v1/tenants": dict(zip(ROLES, (200, 200, 200, 200, 200, 200), strict=True)),
    "GET /api/v1/users": dict(zip(ROLES, (200, 403, 403, 403, 403, 403), strict=True)),
    "GET /api/v1/partners": dict(zip(ROLES, (200, 403, 403, 403, 403, 403), strict=True)),
    "GET /api/v1/audit-log": dict(zip(ROLES, (200, 403, 403, 403, 403, 403), strict=True)),
    "GET /api/platform/entitlements/features": dict(
        zip(ROLES, (200, 403, 403, 403, 403, 403), strict=True)
    ),
}


@pytest.mark.parametrize("role", ROLES)
async def test_routes_without_a_tenant(app: FastAPI, world: World, role: str) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email(role))
        for route, by_role in UNSCOPED.items():
            path = route.split(" ", 1)[1]
            response = await browser.get(path)
            assert response.status_code == by_role[role], f"{role} {route}: {response.text[:200]}"
        listed = {t["name"] for t in (await browser.get("/api/v1/tenants")).json()}
    assert listed == {TENANT_NAMES[s] for s in IN_SCOPE[role]}
